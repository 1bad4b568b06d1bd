from waypoint.accounts.membership import role_in


def program(request):
    current = getattr(request, "program", None)
    role = role_in(request.user, current.pk) if current is not None else None
    return {"program": current, "role": role}
