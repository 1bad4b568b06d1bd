from .services import active_access


def emergency_banner(request, patient):
    """Tells whoever opened the chart through break-the-glass that this access is logged and when it ends."""
    access = active_access(request.user, patient)
    return ("privacy/_emergency_banner.html", access) if access is not None else None
