"""After discharge: the printable discharge packet, the follow-up work list, a contact, a re-engagement task."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import CHART_READ, CONSENT_MANAGE, EPISODE_MANAGE, OUTCOMES_READ
from waypoint.patients.access import access_patient, access_record, has_permission, require, visible_patients
from waypoint.patients.services import record_read
from waypoint.patients.views import add_errors, program_or_403
from waypoint.screening import settings as screening_settings
from waypoint.screening.models import NaloxoneKit

from . import services
from .forms import ContactForm, SentinelReviewForm, TaskForm
from .models import ContinuingCarePlan, FollowUp, ReEngagementTask, SentinelEvent


@require_GET
def packet(request, pk, plan_id):
    """The patient's discharge packet, in plain language, to print and hand over."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    plan = access_record(patient, ContinuingCarePlan.objects.select_related("episode", "hand_off__consent"), plan_id)
    record_read(request.user, "aftercare.packet.read", patient=patient, obj=plan)
    education = screening_settings.HANDOUT_EDUCATION.get(patient.program)
    return render(
        request,
        "aftercare/packet.html",
        {
            "patient": patient,
            "plan": plan,
            "kits": NaloxoneKit.objects.filter(patient=patient, episode=plan.episode),
            "education": [line for line in education.splitlines() if line.strip()],
            "crisis": [line for line in plan.crisis_contacts.splitlines() if line.strip()],
            "follow_ups": plan.follow_ups.all(),
            "hand_off_refusal": services.hand_off_refusal(plan),
            "can_disclose": has_permission(request.user, patient.program_id, CONSENT_MANAGE),
        },
    )


@require_POST
def send_plan(request, pk, plan_id):
    """Send the plan to the next provider: a Part 2 disclosure under the patient's consent."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CONSENT_MANAGE)
    plan = access_record(patient, ContinuingCarePlan.objects.select_related("episode", "patient"), plan_id)
    try:
        services.hand_off(request.user, plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.message_dict.get("hand_off", error.messages)))
    else:
        messages.success(request, f"The plan was sent to {plan.next_provider} and logged in the accounting.")
    return redirect("aftercare:packet", patient.pk, plan.pk)


@require_GET
def work_list(request):
    """Whom to call today: follow-ups due today and overdue, of the patients this user may see."""
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    today = timezone.localdate(timezone=program.tz)
    lists = services.work_list(visible_patients(request.user, program), today)
    tasks = ReEngagementTask.objects.filter(
        patient__in=visible_patients(request.user, program), status=ReEngagementTask.Status.OPEN
    ).select_related("patient", "contact")
    sentinel = SentinelEvent.objects.filter(
        patient__in=visible_patients(request.user, program), reviewed_at__isnull=True
    ).select_related("patient")
    record_read(request.user, "aftercare.work_list.read", program=program)
    return render(
        request,
        "aftercare/work_list.html",
        {
            "day": today,
            **lists,
            "tasks": tasks,
            "sentinel": sentinel,
            "can_review": has_permission(request.user, program.pk, OUTCOMES_READ),
            "can_record": has_permission(request.user, program.pk, EPISODE_MANAGE),
        },
    )


@require_http_methods(["GET", "POST"])
def contact(request, pk, follow_up_id):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, EPISODE_MANAGE)
    follow_up = access_record(patient, FollowUp.objects.select_related("plan__episode"), follow_up_id)
    now = timezone.localtime(timezone=patient.program.tz).replace(second=0, microsecond=0)
    form = ContactForm(request.POST or None, initial={"at": now})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_contact(request.user, follow_up, **data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Follow-up contact with {patient.display_name} recorded.")
            return redirect("aftercare:work-list")
    return render(
        request,
        "aftercare/contact.html",
        {
            "form": form,
            "patient": patient,
            "follow_up": follow_up,
            "attempts": follow_up.contacts.all(),
        },
    )


@require_http_methods(["GET", "POST"])
def task_done(request, pk, task_id):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, EPISODE_MANAGE)
    task = access_record(patient, ReEngagementTask.objects.select_related("contact"), task_id)
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_task(request.user, task, outcome=form.cleaned_data["outcome"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Re-engagement of {patient.display_name} recorded.")
            return redirect("aftercare:work-list")
    return render(request, "aftercare/task.html", {"form": form, "patient": patient, "task": task})


@require_http_methods(["GET", "POST"])
def sentinel_review(request, pk, event_id):
    """The director's review of a death reported after discharge."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, OUTCOMES_READ)
    event = access_record(patient, SentinelEvent.objects.select_related("contact", "plan__episode"), event_id)
    form = SentinelReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_sentinel_event(request.user, event, review=form.cleaned_data["review"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Review of the sentinel event recorded for {patient.display_name}.")
            return redirect("aftercare:work-list")
    return render(request, "aftercare/sentinel.html", {"form": form, "patient": patient, "event": event})
