"""The privacy officer's audit page: who did what to which patient, filtered, sorted, exported as CSV.

Only roles with audit.trail:read (the privacy officer) reach it, and only for the program they work in.
Unknown query parameters and unknown sort keys are refused with 400. Reading the trail is itself audited.
"""

from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from waypoint.accounts.models import User
from waypoint.accounts.roles import AUDIT_READ
from waypoint.accounts.scoping import program_scope
from waypoint.audit import trail as audit
from waypoint.audit.words import action_words, object_words
from waypoint.patients.access import require
from waypoint.patients.models import Patient
from waypoint.web.downloads import attachment, csv_writer
from waypoint.web.query import query_parameters

from .audit_forms import PARAMETERS, SORT_KEYS, AuditFilterForm
from .models import AuditEvent, AuditVerification
from .settings import UNSEALED_MINUTES

CSV_COLUMNS = [
    "id",
    "at_utc",
    "user",
    "action",
    "patient_id",
    "mrn",
    "object_type",
    "object_id",
    "outcome",
    "channel",
    "detail",
]


def local_start(day, tz):
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def filtered(program, data):
    """The program's events matching the form's cleaned data, in the chosen order."""
    events = AuditEvent.objects.filter(program_id=program.pk)
    if data.get("date_from"):
        events = events.filter(at__gte=local_start(data["date_from"], program.tz))
    if data.get("date_to"):
        events = events.filter(at__lt=local_start(data["date_to"] + timedelta(days=1), program.tz))
    if data.get("user"):
        events = events.filter(Q(actor_name__iexact=data["user"]) | Q(actor_id__in=users_named(data["user"])))
    if data.get("patient"):
        # sanctioned (not visible_patients): the privacy officer reads no chart but filters the program's trail by MRN
        ids = Patient.objects.filter(program=program, mrn=data["patient"]).values_list("pk", flat=True)
        events = events.filter(patient_id__in=list(ids))
    if data.get("action"):
        events = events.filter(action__icontains=data["action"])
    if data.get("outcome"):
        events = events.filter(outcome=data["outcome"])
    sort = data.get("sort") or "-at"
    column = SORT_KEYS[sort.lstrip("-")]
    return events.order_by(f"-{column}" if sort.startswith("-") else column, "-id")


def users_named(text: str):
    """Accounts whose username, or full name as shown on the page ("Maria Rivera"), contains the text."""
    full_name = Concat("first_name", Value(" "), "last_name")
    return (
        User.objects.annotate(full_name=full_name)
        .filter(Q(username__icontains=text) | Q(full_name__icontains=text))
        .values("pk")
    )


def mrns_for(program, events) -> dict[int, str]:
    ids = {event.patient_id for event in events if event.patient_id}
    # sanctioned (not visible_patients): the audit page shows the program's MRNs, never a chart, to an officer who
    # reads no chart; its own scope, since the CSV export streams these rows after the request's scope has closed
    with program_scope(program.pk):
        return dict(Patient.objects.filter(program=program, pk__in=ids).values_list("pk", "mrn"))


def csv_rows(program, events):
    writer = csv_writer()
    yield writer.writerow(CSV_COLUMNS)
    batch = []
    for event in events.iterator(chunk_size=1000):
        batch.append(event)
        if len(batch) == 1000:
            yield from csv_batch(writer, program, batch)
            batch = []
    yield from csv_batch(writer, program, batch)


def csv_batch(writer, program, batch):
    mrns = mrns_for(program, batch)
    for event in batch:
        yield writer.writerow(
            [
                event.pk,
                event.at.isoformat(),
                event.actor_name,
                event.action,
                event.patient_id or "",
                mrns.get(event.patient_id, ""),
                event.object_type,
                event.object_id,
                event.outcome,
                event.channel,
                audit_detail(event.detail),
            ]
        )


def audit_detail(detail) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted((detail or {}).items()))


@require_GET
@query_parameters(*PARAMETERS)
def audit_trail(request):
    program = request.program
    if program is None:
        raise PermissionDenied("You are not a member of any program.")
    require(request.user, program.pk, AUDIT_READ)
    unknown = sorted(set(request.GET) - PARAMETERS)
    if unknown:
        return HttpResponseBadRequest(f"Unknown parameter(s): {', '.join(unknown)}", content_type="text/plain")
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        context = {"form": form, "page": None, "verification": AuditVerification.objects.first()}
        return render(request, "privacy/audit_trail.html", {**context, "sealing": sealing(program)}, status=400)
    data = form.cleaned_data if request.GET else {}
    events = filtered(program, data)
    criteria = {key: str(value) for key, value in data.items() if value}
    if data.get("format") == "csv":
        audit.record(request.user, "audit.trail.export", program=program, detail=criteria)
        response = StreamingHttpResponse(csv_rows(program, events), content_type="text/csv")
        response["Content-Disposition"] = attachment("audit", program.slug, extension="csv")
        return response
    chain = sealing(program)  # before this read is recorded (SQLite seals at once)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    mrns = mrns_for(program, page.object_list)
    for event in page.object_list:
        event.mrn = mrns.get(event.patient_id, "")
        event.action_words, event.object_words = action_words(event.action), object_words(event.object_type)
    audit.record(request.user, "audit.trail.read", program=program, detail=criteria)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    return render(
        request,
        "privacy/audit_trail.html",
        {
            "form": form,
            "page": page,
            "sort": data.get("sort") or "-at",
            "verification": AuditVerification.objects.first(),
            "sealing": chain,
            "query": query.urlencode(),
            "columns": sort_links(query.urlencode(), data.get("sort") or "-at"),
        },
    )


def waited_words(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} seconds"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def sealing(program) -> dict:
    """The program's chain for the page: last sealed, and the events waiting to be sealed with their lag."""
    state = audit.seal_state(program.pk)
    limit = UNSEALED_MINUTES.get(program)
    waited = (timezone.now() - state.oldest_waiting_at).total_seconds() if state.oldest_waiting_at else 0.0
    return {
        "last_sealed_at": state.last_sealed_at,
        "waiting": state.waiting,
        "lag": waited_words(waited),
        "late": waited > limit * 60,
        "limit": UNSEALED_MINUTES.describe(limit),
        "origin": UNSEALED_MINUTES.origin,
    }


COLUMNS = [
    ("at", "When"),
    ("user", "User"),
    ("action", "Action"),
    ("patient", "Patient"),
    ("object", "Object"),
    ("outcome", "Outcome"),
    ("channel", "Channel"),
]


def sort_links(query: str, current: str) -> list[dict]:
    links = []
    for key, label in COLUMNS:
        wanted = f"-{key}" if current == key else key
        marker = "▲" if current == key else "▼" if current == f"-{key}" else ""
        links.append(
            {"label": label, "href": f"?{query}&sort={wanted}" if query else f"?sort={wanted}", "marker": marker}
        )
    return links
