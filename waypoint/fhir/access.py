"""Who may receive which FHIR resources, and the record of every release. Shared by the read/search API and the
bulk export: both ask `reader_for(user, program)` and go only through the Reader it returns.

- Program staff whose role may read charts: the program's patients they may see (`visible_patients`), every
  kind (a program-level kind only to the staff its `readers` names: the stock ledger to those who may dispense
  and the director); each release is an audit read event per patient ("fhir.read").
- A registered external system (role `external_system`, an `ExternalClient` row naming its recipient name and
  purpose): for a Part 2 kind, only the patients with an active consent covering that recipient, purpose and
  the kind's information (42 CFR 2.31; counseling notes only when named); a kind without an information kind,
  or a program-level kind naming no patient (the stock ledger), is never released to it. Each release is a
  `Disclosure` per patient carrying the 2.32 notice, audited ("disclosure.create"), exactly as
  `privacy.services.disclose` logs a printed one.
- Anyone else: PermissionDenied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from waypoint.accounts.models import Program, User
from waypoint.accounts.roles import CHART_READ, FHIR_RECEIVE
from waypoint.audit import trail as audit
from waypoint.patients.access import has_permission, visible_patients
from waypoint.patients.models import Patient
from waypoint.privacy import settings as privacy_settings
from waypoint.privacy.models import Consent, Disclosure
from waypoint.privacy.services import _covers

from .registry import ResourceKind

if TYPE_CHECKING:
    from .models import ExternalClient

DISCLOSURE_CHANNEL = "fhir"


class Reader:
    """What one client may receive from one program."""

    external = False

    def __init__(self, user: User, program: Program) -> None:
        self.user = user
        self.program = program

    def may_receive(self, kind: ResourceKind) -> bool:
        raise NotImplementedError

    def patients(self, kind: ResourceKind) -> QuerySet[Patient]:
        raise NotImplementedError

    def rows(self, kind: ResourceKind) -> QuerySet[Any]:
        """The kind's rows of this program that this client may receive (none when it may receive none)."""
        rows = kind.queryset().filter(**{kind.program_field: self.program.pk})
        if not self.may_receive(kind):
            return rows.none()
        if kind.patient_field is None:
            return rows
        lookup = f"{kind.patient_field}__in" if kind.patient_field else "pk__in"
        return rows.filter(**{lookup: self.patients(kind).values("pk")})

    def record_release(self, kind: ResourceKind, patient_ids: set[int]) -> list[Disclosure] | None:
        raise NotImplementedError

    def confirm_release(self, kind: ResourceKind, patient_ids: set[int]) -> None:
        """PermissionDenied unless these patients' records of this kind may still go to this client (a bulk export
        asks on each later page of patients whose release this run has recorded already; `record_release` asks for
        the others)."""


class StaffReader(Reader):
    def may_receive(self, kind: ResourceKind) -> bool:
        return kind.readers is None or kind.readers(self.user, self.program.pk)

    def patients(self, kind: ResourceKind) -> QuerySet[Patient]:
        return visible_patients(self.user, self.program)

    @transaction.atomic
    def record_release(self, kind: ResourceKind, patient_ids: set[int]) -> None:
        detail = {"kind": kind.key, "resource_type": kind.resource_type}
        if kind.program_level:  # the program's own records (its stock ledger): one read event, no patient
            audit.record(self.user, "fhir.read", program=self.program, detail=detail)
            return
        if not patient_ids:
            return
        ids = list(
            # sanctioned (not visible_patients): the released ids, checked against the program
            Patient.objects.filter(pk__in=patient_ids, program=self.program).order_by("pk").values_list("pk", flat=True)
        )
        audit.record_many(self.user, "fhir.read", patient_ids=ids, program=self.program, detail=detail)


class ExternalReader(Reader):
    external = True

    def __init__(self, user: User, program: Program, client: ExternalClient) -> None:
        super().__init__(user, program)
        self.client = client
        self._covered: dict[str, set[int]] = {}

    @property
    def recipient(self) -> str:
        return self.client.recipient

    @property
    def purpose(self) -> str:
        return self.client.purpose

    def may_receive(self, kind: ResourceKind) -> bool:
        """Patients' records under their consents; never the program's own records (its stock ledger)."""
        return not kind.program_level and (not kind.part2 or bool(kind.information_kind))

    def covered_patient_ids(self, information_kind: str) -> set[int]:
        """Patients of the program with an active consent that covers this client for this kind of information."""
        if information_kind not in self._covered:
            ids = set()
            for consent in Consent.objects.filter(program=self.program).select_related("patient").order_by("pk"):
                if consent.patient_id in ids:
                    continue
                if not _covers(consent, self.recipient, self.purpose, {information_kind}) and consent.is_active():
                    ids.add(consent.patient_id)
            self._covered[information_kind] = ids
        return self._covered[information_kind]

    def patients(self, kind: ResourceKind) -> QuerySet[Patient]:
        # sanctioned (not visible_patients): an external system has no care team: consents decide
        everyone = Patient.objects.filter(program=self.program)
        if not kind.part2:
            return everyone
        if not kind.information_kind:
            return everyone.none()
        return everyone.filter(pk__in=self.covered_patient_ids(kind.information_kind))

    def covering_consents(self, kind: ResourceKind, patient_ids: set[int]) -> list[tuple[Patient, Consent]]:
        """Each patient (in id order) with the active consent that covers this release; PermissionDenied when one has
        none: the rows were chosen by consent, and a revocation since then refuses the release."""
        information = kind.information_kind or ""
        found = []
        # sanctioned (not visible_patients): the patients whose records are being released
        for patient in Patient.objects.filter(pk__in=patient_ids, program=self.program).order_by("pk"):
            consent = next(
                (
                    c
                    for c in patient.consents.order_by("pk")
                    if c.is_active() and not _covers(c, self.recipient, self.purpose, {information})
                ),
                None,
            )
            if consent is None:
                raise PermissionDenied(f"No active consent covers the release of {kind.key} of patient {patient.pk}.")
            found.append((patient, consent))
        return found

    def confirm_release(self, kind: ResourceKind, patient_ids: set[int]) -> None:
        self.covering_consents(kind, patient_ids)

    @transaction.atomic
    def record_release(self, kind: ResourceKind, patient_ids: set[int]) -> list[Disclosure]:
        """One Disclosure per patient, under the consent that covers it, with the program's Part 2 notice."""
        if not patient_ids:
            return []
        notice = privacy_settings.PART2_NOTICE.get(self.program)
        information = kind.information_kind or ""
        made = []
        for patient, consent in self.covering_consents(kind, patient_ids):
            disclosure = Disclosure.objects.create(
                program=self.program,
                patient=patient,
                consent=consent,
                recipient=self.recipient,
                purpose=self.purpose,
                information=[information],
                notice=notice,
                disclosed_by=self.user,
                channel=DISCLOSURE_CHANNEL,
            )
            audit.record(
                self.user,
                "disclosure.create",
                patient=patient,
                obj=disclosure,
                detail={
                    "recipient": self.recipient,
                    "purpose": self.purpose,
                    "consent": consent.pk,
                    "kind": kind.key,
                    "channel": DISCLOSURE_CHANNEL,
                },
            )
            made.append(disclosure)
        return made


def reader_for(user: User, program: Program | None) -> Reader:
    """The Reader for this client in this program; PermissionDenied when it may receive nothing there."""
    if program is None:
        raise PermissionDenied("This account belongs to no program.")
    if has_permission(user, program.pk, CHART_READ):
        return StaffReader(user, program)
    if has_permission(user, program.pk, FHIR_RECEIVE):
        from .models import ExternalClient

        client = ExternalClient.objects.filter(user=user, program=program).first()
        if client is None:
            raise PermissionDenied("This external system is not registered as a FHIR client of the program.")
        return ExternalReader(user, program, client)
    raise PermissionDenied("Your role in this program does not allow reading patient records.")


def notice_for(program: Program) -> str:
    return str(privacy_settings.PART2_NOTICE.get(program))
