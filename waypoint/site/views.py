from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from waypoint.accounts.membership import memberships, role_in
from waypoint.web.middleware import PROGRAM_SESSION_KEY

from . import navigation


@require_GET
def home(request):
    """Each role starts on its own work (site/navigation.py START): nurse and prescriber the withdrawal board,
    counselor the schedule, intake the waitlist, director the outcomes, privacy officer the audit trail,
    administrator the program settings."""
    return navigation.start_page(request)


@require_GET
def work_lists(request):
    """The lists of patients waiting for someone that the role may open (site/navigation.py WORK_LISTS), each
    saying what it holds: follow-ups due, after discharge, plan reviews, patients on no care team."""
    program = getattr(request, "program", None)
    role = role_in(request.user, program.pk) if program is not None else None
    allowed = navigation.work_lists_for(role)
    if not allowed:
        raise PermissionDenied("no work list for this role")
    rows = [
        {"label": w.label, "url": reverse(w.url_name), "holds": w.holds, "count": w.count(request.user, program)}
        for w in allowed
    ]
    return render(request, "web/work_lists.html", {"rows": rows})


@require_POST
def switch_program(request):
    """Work in another of the user's programs (unknown or foreign programs are ignored)."""
    wanted = request.POST.get("program")
    for membership in memberships(request.user):
        if str(membership.program_id) == wanted:
            request.session[PROGRAM_SESSION_KEY] = membership.program_id
    return redirect("home")


@login_not_required
@require_GET
def healthz(request):
    """Liveness and database reachability, for load balancers and `make run` checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)


def not_found(request, exception=None):
    """404 for a URL that matches no route: an OperationOutcome under /fhir/, JSON under /api/ (what each
    documents), the page otherwise."""
    if request.path.startswith("/fhir/"):
        from waypoint.fhir.http import error_response

        return error_response(404, f"No FHIR endpoint at {request.path} (see /fhir/metadata).")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def permission_denied(request, exception=None):
    """403 in the site's layout with a way back. The refusal's own text is developer wording (it names the
    permission) except on the patient kiosk, whose message tells the patient what to do."""
    kiosk_message = str(exception) if exception and request.path.startswith("/kiosk/") else ""
    return render(request, "403.html", {"kiosk_message": kiosk_message}, status=403)
