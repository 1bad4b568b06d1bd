"""REST API for 42 CFR Part 2 consents and disclosures: /api/v1/patients/{id}/consents/ (list, record),
/consents/{consent_id}/revoke/, /disclosures/ (GET: the accounting of the last three years; POST: disclose).
Same services, validation and access as the pages (privacy/views.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from waypoint.accounts.roles import CHART_READ, CONSENT_MANAGE
from waypoint.audit import trail as audit
from waypoint.patients.access import access_patient, access_record, require
from waypoint.web.api import ApiView, StrictSerializer

from . import services
from .disclosure import api_record, disclosed_sections
from .models import Consent, Disclosure, InformationKind, Purpose


class ConsentOut(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    active = serializers.SerializerMethodField()
    is_tpo = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "patient",
            "disclosing_party",
            "information",
            "information_description",
            "recipients",
            "general_designation",
            "purposes",
            "purpose_description",
            "expiry",
            "expires_on",
            "expiry_event",
            "signed_by",
            "signer_is_patient",
            "representative_authority",
            "signed_on",
            "right_to_revoke_explained",
            "redisclosure_statement",
            "is_tpo",
            "active",
            "recorded_by",
            "recorded_at",
            "revoked_on",
            "revocation_note",
        ]

    def get_active(self, consent) -> bool:
        return consent.is_active()


class ConsentIn(StrictSerializer):
    """Every element 42 CFR 2.31 requires; the service names each one missing."""

    disclosing_party = serializers.CharField(max_length=200)
    information = serializers.ListField(child=serializers.ChoiceField(InformationKind.choices), max_length=10)
    information_description = serializers.CharField(max_length=4000)
    recipients = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50)
    general_designation = serializers.BooleanField(default=False)
    purposes = serializers.ListField(child=serializers.ChoiceField(Purpose.choices), max_length=10)
    purpose_description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    expiry = serializers.ChoiceField(Consent.Expiry.choices)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    expiry_event = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    signed_by = serializers.CharField(max_length=200)
    signer_is_patient = serializers.BooleanField(default=True)
    representative_authority = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    signed_on = serializers.DateField()
    right_to_revoke_explained = serializers.BooleanField()


class RevokeIn(StrictSerializer):
    revoked_on = serializers.DateField(help_text="Date of the patient's written revocation (not in the future).")
    revocation_note = serializers.CharField(max_length=4000, help_text="How the patient revoked it in writing.")


class DiscloseIn(StrictSerializer):
    recipient = serializers.CharField(max_length=200)
    purpose = serializers.ChoiceField(Purpose.choices)
    information = serializers.ListField(child=serializers.ChoiceField(InformationKind.choices), max_length=10)


class DisclosureOut(serializers.ModelSerializer):
    disclosed_by = serializers.CharField(source="disclosed_by.username", read_only=True)

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "patient",
            "consent",
            "recipient",
            "purpose",
            "information",
            "notice",
            "disclosed_at",
            "disclosed_by",
            "channel",
        ]


class DisclosedRecordOut(serializers.Serializer):
    disclosure = DisclosureOut()
    notice = serializers.CharField(help_text="The 42 CFR 2.32 notice that must travel with the record.")
    record = serializers.DictField(
        help_text="One list per kind of record the disclosed information covers (key: the kind, e.g. moud_orders), "
        "each row with its id; SUD counseling notes only when named."
    )


class ConsentListView(ApiView):
    @extend_schema(responses=ConsentOut(many=True))
    def get(self, request, pk):
        """The patient's consents, newest signature first, each with whether it is active today."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        audit.record(request.user, "consent.list.read", patient=patient)
        return Response(ConsentOut(patient.consents.select_related("recorded_by", "patient"), many=True).data)

    @extend_schema(request=ConsentIn, responses={201: ConsentOut})
    def post(self, request, pk):
        """Record a written consent. 400 names each missing 42 CFR 2.31 element by field."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CONSENT_MANAGE)
        serializer = ConsentIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.record_consent(acting_user=request.user, patient=patient, **serializer.validated_data)
        return Response(ConsentOut(consent).data, status=status.HTTP_201_CREATED)


class ConsentRevokeView(ApiView):
    @extend_schema(request=RevokeIn, responses=ConsentOut)
    def post(self, request, pk, consent_id):
        """A written, dated revocation: no disclosure may rely on the consent from that date."""
        patient = access_patient(request.user, pk)
        consent = access_record(patient, Consent, consent_id)
        require(request.user, patient.program_id, CONSENT_MANAGE)
        serializer = RevokeIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.revoke_consent(
            acting_user=request.user,
            consent=consent,
            revoked_on=serializer.validated_data["revoked_on"],
            note=serializer.validated_data["revocation_note"],
        )
        return Response(ConsentOut(consent).data)


class DisclosureListView(ApiView):
    @extend_schema(responses=DisclosureOut(many=True))
    def get(self, request, pk):
        """The accounting of disclosures (42 CFR 2.25): the last three years, newest first."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CHART_READ)
        audit.record(request.user, "disclosure.accounting.read", patient=patient)
        return Response(DisclosureOut(services.accounting(patient), many=True).data)

    @extend_schema(request=DiscloseIn, responses={201: DisclosedRecordOut})
    def post(self, request, pk):
        """Disclose outside the program: only under an active consent covering the recipient, purpose and
        information (400 `consent` names what is missing); logged, and carrying the Part 2 notice."""
        patient = access_patient(request.user, pk)
        require(request.user, patient.program_id, CONSENT_MANAGE)
        serializer = DiscloseIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        disclosure = services.disclose(
            acting_user=request.user, patient=patient, channel="api", **serializer.validated_data
        )
        return Response(
            {
                "disclosure": DisclosureOut(disclosure).data,
                "notice": disclosure.notice,
                "record": api_record(disclosed_sections(patient, disclosure.information, request.user)),
            },
            status=status.HTTP_201_CREATED,
        )
