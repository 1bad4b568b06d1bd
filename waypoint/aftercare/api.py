"""REST API: a patient's continuing-care plans with their follow-ups, contacts and re-engagement tasks (read), and
a follow-up contact (record). The plan itself is recorded with the discharge (`continuing_care_plan` in the body
of POST /api/v1/patients/{id}/episodes/{episode_id}/discharge/)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ
from waypoint.patients.access import access_patient, access_record, require
from waypoint.patients.services import record_read
from waypoint.web.api import ApiView, StrictSerializer

from . import services
from .models import ContinuingCarePlan, FollowUp, FollowUpContact, ReEngagementTask

ERRORS = {
    400: OpenApiResponse(description="Refused: the body names each field and why."),
    403: OpenApiResponse(description="Your role may not record follow-up contacts."),
    404: OpenApiResponse(description="No such patient or follow-up (or not visible to you)."),
}
PLAN_OUT: tuple[str, ...] = ("id", "episode_id", "next_level", "next_provider", "provider_in_program", "appointment_at")
PLAN_OUT += ("appointment_place", "no_appointment_reason", "moud_continued_by", "moud_next_due")
PLAN_OUT += ("moud_supplied_through", "moud_bridge", "no_moud_reason", "triggers", "coping_steps")
PLAN_OUT += ("people_to_call", "offered", "crisis_contacts", "recorded_at")
CONTACT_OUT: tuple[str, ...] = (
    "id",
    "at",
    "method",
    "reached",
    "attended_next",
    "moud_continued",
    "used_since",
    "substance",
)
CONTACT_OUT += ("used_on", "overdose", "naloxone_used", "naloxone_by", "readmitted", "concerns")
CONTACT_OUT += ("died", "wants_to_come_back", "note")


def contact_out(contact: FollowUpContact) -> dict:
    return {name: getattr(contact, name) for name in CONTACT_OUT}


def follow_up_out(follow_up: FollowUp) -> dict:
    return {
        "id": follow_up.pk,
        "days_after": follow_up.days_after,
        "due_on": follow_up.due_on,
        "status": follow_up.status,
        "closed_reason": follow_up.closed_reason,
        "contacts": [contact_out(c) for c in follow_up.contacts.all()],
    }


def plan_out(plan: ContinuingCarePlan) -> dict:
    return {
        **{name: getattr(plan, name) for name in PLAN_OUT},
        "next_level_name": plan.next_level_label,
        "hand_off": {
            "disclosure": plan.hand_off.pk,
            "recipient": plan.hand_off.recipient,
            "disclosed_at": plan.hand_off.disclosed_at,
            "consent": plan.hand_off.consent_id,
        }
        if plan.hand_off
        else None,
        "follow_ups": [follow_up_out(f) for f in plan.follow_ups.all()],
    }


class ContactIn(StrictSerializer):
    at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=FollowUpContact.Method.choices)
    reached = serializers.BooleanField()
    attended_next = serializers.ChoiceField(choices=FollowUpContact.Answer.choices, required=False, default="")
    moud_continued = serializers.ChoiceField(choices=FollowUpContact.Answer.choices, required=False, default="")
    used_since = serializers.ChoiceField(choices=FollowUpContact.Answer.choices, required=False, default="")
    substance = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    used_on = serializers.DateField(required=False, allow_null=True, default=None)
    overdose = serializers.ChoiceField(choices=FollowUpContact.Overdose.choices, required=False, default="")
    naloxone_used = serializers.ChoiceField(choices=FollowUpContact.Answer.choices, required=False, default="")
    naloxone_by = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    readmitted = serializers.ChoiceField(choices=FollowUpContact.Answer.choices, required=False, default="")
    died = serializers.BooleanField(required=False, default=False)
    concerns = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    wants_to_come_back = serializers.ChoiceField(choices=FollowUpContact.Answer.choices, required=False, default="")
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ContinuingCareView(ApiView):
    @extend_schema(
        responses={
            200: OpenApiResponse(
                description="The patient's continuing-care plans, newest first, each with its follow-ups and their "
                "contacts, and the patient's open re-engagement tasks."
            ),
            **ERRORS,
        }
    )
    def get(self, request, pk):
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        record_read(request.user, "aftercare.plan.read", patient=patient)
        plans = (
            ContinuingCarePlan.objects.filter(patient=patient)
            .select_related("hand_off")
            .prefetch_related("follow_ups__contacts")
        )
        tasks = ReEngagementTask.objects.filter(patient=patient, status=ReEngagementTask.Status.OPEN)
        return Response(
            {
                "plans": [plan_out(p) for p in plans],
                "open_re_engagement_tasks": [
                    {"id": t.pk, "reason": t.reason, "opened_at": t.opened_at, "contact": t.contact_id} for t in tasks
                ],
            }
        )


class ContactView(ApiView):
    @extend_schema(request=ContactIn, responses={201: OpenApiResponse(description="The contact recorded."), **ERRORS})
    def post(self, request, pk, follow_up_id):
        """Record one attempt to reach the patient for this follow-up. Not reached: only `at`, `method` and a
        `note`; the program's number of unanswered attempts marks the follow-up lost. Reached: `used_since` is
        required; a return to use or an overdose opens a re-engagement task; a reported death (`died`, or a fatal
        overdose) closes the discharge's follow-up and opens a sentinel event for the director."""
        patient = access_patient(request.user, pk)
        follow_up = access_record(patient, FollowUp.objects.select_related("plan__episode"), follow_up_id)
        serializer = ContactIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = services.record_contact(request.user, follow_up, **serializer.validated_data)
        return Response(contact_out(contact), status=status.HTTP_201_CREATED)
