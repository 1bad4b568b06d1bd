"""The project's own CodeSystems, served at their canonical URLs under `/fhir/CodeSystem/` (read, and search by url).

Every coding Waypoint emits in a system under `codes.CANONICAL` + `/CodeSystem/` names one of these, and each is
built from the same declaration the mapping reads (the instruments, the screen, the levels of care, the model's
choices, the medication catalogues, the program's modality list), so it is complete by construction: `content`
is `complete` and every concept has its display. A CodeSystem's `version` is a digest of its concepts: it moves
exactly when a code or a display changes. The program's modality list is the program's own (each program edits
it): its CodeSystem is served to that program's readers only, with the modalities already used on its plans
(a retired modality keeps its code and label there).

They are definitions, not patient data: no patient, no Part 2 label, no release recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from waypoint.comfort import catalog as comfort_catalog
from waypoint.comfort.models import Dose
from waypoint.dispensing.models import LedgerEntry, ReplacementDose
from waypoint.drug_screens import rules
from waypoint.medication import catalog as moud_catalog
from waypoint.medication.models import Administration, Phase
from waypoint.patients.models import Episode
from waypoint.placement.levels import EDITIONS, levels_of
from waypoint.privacy.models import InformationKind, Purpose
from waypoint.scales import INSTRUMENTS
from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS
from waypoint.treatment.models import TreatmentPlan
from waypoint.treatment.settings import modality_labels

from .codes import CANONICAL, INSTRUMENTS_SYSTEM, own
from .kinds import comfort, dispensing, drug_screens, medication, privacy, stock
from .kinds.screening import screen_system
from .kinds.treatment import modality_system
from .questionnaires import answer_system

PREFIX = f"{CANONICAL}/CodeSystem/"

Concepts = list[tuple[str, str]]  # (code, display), in the order shown to people


@dataclass(frozen=True)
class Definition:
    url: str
    title: str
    description: str
    concepts: Callable[[], Concepts]

    @property
    def id(self) -> str:
        """The FHIR id: the URL's path under CodeSystem/, '/' as '-' (ids allow [A-Za-z0-9-.] only)."""
        return self.url.removeprefix(PREFIX).replace("/", "-")


def _choices(choices, *, leave_out=()) -> Concepts:
    return [(str(code), str(label)) for code, label in choices if code not in leave_out]


def _not_given() -> Concepts:
    """Reasons a dose was not given: the MOUD dose record's and the comfort dose record's statuses but `given`
    (one system for both; a code both use has one display, checked by the tests)."""
    out = dict(_choices(Administration.Status.choices, leave_out={Administration.Status.GIVEN}))
    for code, label in _choices(Dose.Status.choices, leave_out={Dose.Status.GIVEN}):
        out.setdefault(code, label)
    return list(out.items())


def _answers(instrument) -> Concepts:
    return [(f"{item.key}.{score}", item.anchor(score)) for item in instrument.items for score in item.scores]


def _bands(instrument) -> Concepts:
    return [(band.code, band.label) for band in instrument.bands]


def _levels(edition: int) -> Concepts:
    return [(level.code, level.name) for level in levels_of(edition)]


def _definitions() -> list[Definition]:
    out = [
        Definition(
            INSTRUMENTS_SYSTEM,
            "Clinical instruments (totals)",
            "The total score of each clinical instrument Waypoint records (no LOINC code is verified for them).",
            lambda: [(code, f"{i.title} total") for code, i in INSTRUMENTS.items()],
        )
    ]
    for code, instrument in INSTRUMENTS.items():
        out.append(
            Definition(
                answer_system(instrument),
                f"{instrument.short_title} answers",
                f"Each answer of each item of the {instrument.title} as <item>.<score> (the score itself).",
                partial(_answers, instrument),
            )
        )
        if instrument.bands:
            out.append(
                Definition(
                    own(f"CodeSystem/{code}-severity"),
                    f"{instrument.short_title} severity bands",
                    f"The published severity bands of the {instrument.title} total.",
                    partial(_bands, instrument),
                )
            )
    out += [
        Definition(
            screen_system(HEROIN_COMPLICATIONS.code),
            HEROIN_COMPLICATIONS.title,
            "The items of the intake screen for health complications of heroin use.",
            lambda: [(item.key, item.label) for item in HEROIN_COMPLICATIONS.items],
        ),
        *(
            Definition(
                own(f"CodeSystem/asam-level-edition-{edition}"),
                f"Levels of care, {name}",
                f"The levels of care of the {name}.",
                partial(_levels, edition),
            )
            for edition, name in EDITIONS.items()
        ),
        Definition(
            own("CodeSystem/discharge-reason"),
            "Discharge reasons",
            "Why an episode of care ended.",
            lambda: _choices(Episode.DischargeReason.choices),
        ),
        Definition(
            privacy.INFORMATION_SYSTEM,
            "Consent: kinds of information",
            "What a 42 CFR Part 2 consent allows to be disclosed.",
            lambda: _choices(InformationKind.choices),
        ),
        Definition(
            own("CodeSystem/consent-category"),
            "Consent categories",
            "The kind of consent: a consent to disclose substance use disorder records (42 CFR 2.31).",
            lambda: [("42cfr2-disclosure", "Consent to disclose substance use disorder records (42 CFR 2.31)")],
        ),
        Definition(
            own("CodeSystem/consent-purpose"),
            "Consent: purposes without an HL7 code",
            "Purposes of disclosure other than treatment, payment and health care operations (which are v3-ActReason "
            "codes); the consent's own description is the coding's display.",
            lambda: _choices(Purpose.choices, leave_out=set(privacy.PURPOSES)),
        ),
        Definition(
            medication.MEDICATIONS,
            "Medications for opioid use disorder",
            "The MOUD medications of the program's catalogue (no RxNorm code is verified for them).",
            lambda: [(code, m.name) for code, m in moud_catalog.MEDICATIONS.items()],
        ),
        Definition(
            medication.ROUTES,
            "Routes of administration",
            "Routes of the medications Waypoint records.",
            lambda: list(moud_catalog.ROUTE_NAMES.items()),
        ),
        Definition(
            medication.PHASES,
            "MOUD phases",
            "The phase of treatment an MOUD order belongs to.",
            lambda: _choices(Phase.choices),
        ),
        Definition(
            medication.NOT_GIVEN,
            "Dose not given: reasons",
            "Why a scheduled or as-needed dose was not given.",
            _not_given,
        ),
        Definition(
            comfort.DRUGS,
            "Withdrawal comfort medications",
            "The comfort medications of the program's symptom-triggered protocol catalogue.",
            lambda: list(comfort_catalog.DRUGS.items()),
        ),
        Definition(
            comfort.SYMPTOMS,
            "Withdrawal symptoms",
            "The withdrawal symptoms a comfort medication is given for.",
            lambda: list(comfort_catalog.SYMPTOMS.items()),
        ),
        Definition(
            drug_screens.SCREENS,
            "Drug screens",
            "The drug screens Waypoint records (no LOINC code is verified for them).",
            lambda: [drug_screens.URINE_DRUG_SCREEN],
        ),
        Definition(
            drug_screens.ANALYTES,
            "Drug screen analytes",
            "The substances a urine drug screen reports.",
            lambda: list(rules.ANALYTES.items()),
        ),
        Definition(
            drug_screens.RESULTS,
            "Drug screen results",
            "The result of one analyte of a urine drug screen.",
            lambda: list(rules.RESULTS.items()),
        ),
        Definition(
            dispensing.DISPENSE_TYPES,
            "Opioid treatment program dispense types",
            "The kinds of dispensing at the dosing window.",
            lambda: [("take-home", "Take-home dose")],
        ),
        Definition(
            dispensing.REPLACEMENT_REASONS,
            "Replacement dose reasons",
            "Why a dose was replaced at the dosing window.",
            lambda: _choices(ReplacementDose.Reason.choices),
        ),
        Definition(
            stock.MOVEMENTS,
            "Controlled-substance stock movements",
            "The ledger entries of the program's stock that name no patient (receipts, transfers, wastes, spills, "
            "adjustments).",
            lambda: [(c, words) for c, words in _choices(LedgerEntry.Kind.choices) if c in stock.MOVEMENT_KINDS],
        ),
        Definition(
            stock.COUNTS,
            "Controlled-substance stock counts",
            "A blind count of a stock lot by two users and what it is compared with.",
            lambda: list(stock.COUNT_CODES),
        ),
    ]
    return out


DEFINITIONS: list[Definition] = _definitions()


def _modalities(program) -> Definition:
    def concepts() -> Concepts:
        known = {}
        for body in TreatmentPlan.objects.filter(program=program).values_list("body", flat=True).iterator():
            for problem in (body or {}).get("problems", []):
                for intervention in problem.get("interventions", []):
                    if intervention.get("modality") and intervention.get("modality_label"):
                        known[intervention["modality"]] = intervention["modality_label"]
        current = modality_labels(program)
        return list(current.items()) + sorted((c, label) for c, label in known.items() if c not in current)

    return Definition(
        modality_system(program),
        f"Treatment modalities of {program.name}",
        f"The interventions {program.name}'s treatment plans use (the program edits its own list; a retired "
        "modality stays, for the plans that name it).",
        concepts,
    )


def _name(title: str) -> str:
    """A computer-friendly name (FHIR's rule: a capital letter, then letters, digits or _)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return ("".join(w[:1].upper() + w[1:] for w in words) or "CodeSystem").lstrip("0123456789") or "CodeSystem"


def resource(definition: Definition) -> dict:
    concepts = definition.concepts()
    version = hashlib.sha256(repr(concepts).encode()).hexdigest()[:12]
    return {
        "resourceType": "CodeSystem",
        "id": definition.id,
        "url": definition.url,
        "version": version,
        "name": _name(definition.title),
        "title": definition.title,
        "status": "active",
        "experimental": False,
        "publisher": "Waypoint",
        "description": definition.description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": [{"code": code, "display": display} for code, display in concepts],
    }


def definitions_for(program) -> list[Definition]:
    """The CodeSystems a reader of this program receives: the project's, and the program's modality list."""
    return [*DEFINITIONS, _modalities(program)]


def all_codesystems(program) -> list[dict]:
    return [resource(d) for d in definitions_for(program)]


def find(program, *, ids: list[str] | None = None, url: str | None = None) -> list[dict]:
    """The CodeSystems matching an id list and/or a canonical URL (`url|version` is accepted)."""
    wanted_url, _, wanted_version = (url or "").partition("|")
    out = []
    for definition in definitions_for(program):
        if ids and definition.id not in ids:
            continue
        if url is not None and definition.url != wanted_url:
            continue
        found = resource(definition)
        if wanted_version and found["version"] != wanted_version:
            continue
        out.append(found)
    return out
