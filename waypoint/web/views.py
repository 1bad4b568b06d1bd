from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from waypoint.accounts.roles import AUDIT_READ, CHART_READ, SETTINGS_MANAGE
from waypoint.patients.access import has_permission, memberships

from .middleware import PROGRAM_SESSION_KEY


@require_GET
def home(request):
    """The clinical staff's patient list; the privacy officer (no chart access) lands on the audit trail, the
    administrator (no chart access either) on the program settings."""
    program = getattr(request, "program", None)
    if program is not None and not has_permission(request.user, program.pk, CHART_READ):
        if has_permission(request.user, program.pk, AUDIT_READ):
            return redirect("audit:trail")
        if has_permission(request.user, program.pk, SETTINGS_MANAGE):
            return redirect("accounts:settings")
    return redirect("patients:list")


@require_POST
def switch_program(request):
    """Work in another of the user's programs (unknown or foreign programs are ignored)."""
    wanted = request.POST.get("program")
    for membership in memberships(request.user):
        if str(membership.program_id) == wanted:
            request.session[PROGRAM_SESSION_KEY] = membership.program_id
    return redirect("patients:list")


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
