"""The comfort dose check reads the structured allergy entries: a drug named, or a class the reference puts the drug
in (NSAIDs: ibuprofen and naproxen); an entry in error or "no known drug allergies" refuses nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from waypoint.comfort import services
from waypoint.comfort.models import Dose
from waypoint.patients import allergies

from .conftest import ENTRIES

IBUPROFEN = {
    "symptom": "pain",
    "drug": "ibuprofen",
    "route": "oral",
    "dose_min_mg": "200",
    "dose_max_mg": "400",
    "min_interval_minutes": 240,
    "max_24h_mg": "1200",
    "follow_up_minutes": 60,
}  # test values only, not clinical guidance


@pytest.fixture
def nsaid_line(program, prescriber, patient, admitted):
    protocol = services.sign_protocol(
        acting_user=prescriber, program=program, title="Test protocol", entries=[*ENTRIES, IBUPROFEN]
    )
    order = services.activate_order(
        acting_user=prescriber, patient=patient, entries={entry.pk: {} for entry in protocol.entries.all()}
    )
    return lambda drug: order.lines.select_related("entry", "order").get(entry__drug=drug)


def give(nurse, patient, line, dose):
    return services.give_dose(acting_user=nurse, patient=patient, line=line, at=timezone.now(), dose=dose)


def test_an_allergy_to_the_drug_refuses_it_naming_the_entry(nurse, patient, nsaid_line):
    allergies.record_allergy(
        acting_user=nurse, patient=patient, kind="drug", substance="Loperamide", reaction="hives", severity="mild"
    )
    with pytest.raises(ValidationError) as caught:
        give(nurse, patient, nsaid_line("loperamide"), "2")
    message = caught.value.message_dict["allergy"][0]
    assert message.startswith("The patient's recorded allergies name loperamide: Loperamide: hives, mild")
    assert not Dose.objects.exists()


def test_an_nsaid_class_allergy_refuses_ibuprofen_but_not_acetaminophen(nurse, patient, nsaid_line):
    allergies.record_allergy(
        acting_user=nurse,
        patient=patient,
        kind="drug_class",
        substance="NSAIDs",
        reaction="swelling",
        severity="severe",
    )
    with pytest.raises(ValidationError) as caught:
        give(nurse, patient, nsaid_line("ibuprofen"), "400")
    assert "ibuprofen is one of the NSAIDs" in caught.value.message_dict["allergy"][0]
    assert give(nurse, patient, nsaid_line("acetaminophen"), "500").status == "given"


def test_a_drug_only_containing_the_name_is_not_a_match(nurse, patient, nsaid_line):
    allergies.record_allergy(acting_user=nurse, patient=patient, kind="drug", substance="Loperamidex", severity="mild")
    assert give(nurse, patient, nsaid_line("loperamide"), "2").status == "given"


def test_no_known_allergies_and_entries_in_error_refuse_nothing(nurse, patient, nsaid_line):
    wrong = allergies.record_allergy(
        acting_user=nurse, patient=patient, kind="drug", substance="Ibuprofen", severity="mild"
    )
    allergies.mark_allergy_in_error(acting_user=nurse, allergy=wrong, reason="Another patient's")
    allergies.record_allergy(acting_user=nurse, patient=patient, kind="none_known")
    assert give(nurse, patient, nsaid_line("ibuprofen"), "400").status == "given"
