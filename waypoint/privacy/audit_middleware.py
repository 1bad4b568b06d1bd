"""What a request did not record itself: the read of a patient's page, and a refused access.

HIPAA 164.312(b) audit controls; 42 CFR Part 2 (who saw, or tried to see, a patient's record). Views record their
own events (`audit.record`); this middleware, after the two-factor middleware, looks at the answer and adds at most
one event per request, only when the view recorded none of its kind:

- a refusal (403, or 404 on one of the application's URLs: another program's patient, another program's list) by a
  signed-in user: `access.denied`, outcome denied, with the URL, the status and the reason given;
- a page or API answer (GET, 200) of a patient-scoped URL (`patients/<pk>/...`) that recorded no event for that
  patient: `patient.read`, with the URL. A form shows patient data as much as a chart does.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import Resolver404, resolve

from waypoint.audit import trail as audit
from waypoint.patients.access import visible_patients
from waypoint.web.middleware import current_program

from .models import AuditEvent

PATIENT_ROUTES = ("patients/<int:pk>/", "api/v1/patients/<int:pk>/")
REASON_ATTRIBUTE = "waypoint_refusal_reason"


class AccessAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.request_events.set([])
        try:
            response = self.get_response(request)
            recorded = audit.request_events.get()
        finally:
            audit.request_events.reset(token)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            record_what_the_view_did_not(request, response, user, recorded)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (PermissionDenied, Http404)):
            setattr(request, REASON_ATTRIBUTE, str(exception))


def record_what_the_view_did_not(request, response, user, recorded: list) -> None:
    match = getattr(request, "resolver_match", None)  # the handler's own resolution of this URL, when it matched
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return  # not one of the application's URLs: nothing was there to refuse or read
    status = response.status_code
    if status in (403, 404):
        if not any(outcome == AuditEvent.Outcome.DENIED for _, outcome in recorded):
            record_refusal(request, response, user, match)
    elif status == 200 and request.method in ("GET", "HEAD") and is_patient_route(match):
        patient_id = match.kwargs["pk"]
        if not any(pid == patient_id for pid, _ in recorded):
            record_read(request, user, match, patient_id)


def is_patient_route(match) -> bool:
    return match.route.startswith(PATIENT_ROUTES) and "pk" in match.kwargs


def record_refusal(request, response, user, match) -> None:
    reason = getattr(request, REASON_ATTRIBUTE, "") or api_reason(response) or response.reason_phrase
    detail = {"url": request.get_full_path()[:500], "method": request.method, "status": response.status_code}
    detail["reason"] = str(reason)[:300]
    if is_patient_route(match):
        detail["patient_requested"] = match.kwargs["pk"]
    audit.record(
        user,
        "access.denied",
        program=getattr(request, "program", None) or current_program(request),  # API: the token's user, known now
        outcome=AuditEvent.Outcome.DENIED,
        detail=detail,
    )


def api_reason(response) -> str:
    data = getattr(response, "data", None)
    return str(data.get("detail", "")) if isinstance(data, dict) else ""


def record_read(request, user, match, patient_id: int) -> None:
    patient = visible_patients(user).filter(pk=patient_id).first()
    if patient is not None:
        audit.record(user, "patient.read", patient=patient, detail={"url": request.get_full_path()[:500]})
