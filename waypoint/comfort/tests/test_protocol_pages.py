"""The protocol and order pages: the medical director signs a new version on the page (earlier doses keep theirs),
a prescriber activates it for a patient leaving drugs out, narrowing limits, widening only with a reason; a nurse
may do neither."""

from django.utils import timezone

from waypoint.comfort import services
from waypoint.comfort.models import ComfortOrder, Dose, Protocol

LOPERAMIDE = {  # test values only, not clinical guidance
    "diarrhea-loperamide-include": "on",
    "diarrhea-loperamide-route": "oral",
    "diarrhea-loperamide-dose_min_mg": "2",
    "diarrhea-loperamide-dose_max_mg": "4",
    "diarrhea-loperamide-min_interval_minutes": "120",
    "diarrhea-loperamide-max_24h_mg": "8",
    "diarrhea-loperamide-follow_up_minutes": "60",
}


def test_the_medical_director_signs_a_new_version_and_earlier_doses_keep_theirs(
    page, prescriber, nurse, patient, order, line, give
):
    earlier = give("loperamide", timezone.now().replace(second=0, microsecond=0), "2")
    client = page(prescriber)
    form = client.get("/comfort/protocol/new/").content.decode()
    assert 'value="Test protocol"' in form and 'name="diarrhea-loperamide-include" checked' in form
    response = client.post("/comfort/protocol/new/", {"title": "Unit protocol", **LOPERAMIDE}, follow=True)
    html = response.content.decode()
    assert "Signed: Unit protocol, version 2." in html
    latest = Protocol.objects.get(version=2)
    assert [(e.drug, e.max_24h_mg) for e in latest.entries.all()] == [("loperamide", 8)]
    assert latest.signed_by == prescriber
    earlier.refresh_from_db()
    assert earlier.entry.protocol.version == 1


def test_a_limit_above_the_label_is_refused_on_its_drug_and_nothing_is_signed(page, prescriber, program):
    response = page(prescriber).post(
        "/comfort/protocol/new/", {"title": "Unit protocol", **LOPERAMIDE, "diarrhea-loperamide-max_24h_mg": "17"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was signed." in html
    assert "Above the label&#x27;s maximum of 16 mg per day" in html
    assert not Protocol.objects.exists()


def test_a_nurse_may_read_the_protocol_but_not_sign_one(page, nurse, protocol):
    client = page(nurse)
    html = client.get("/comfort/protocol/").content.decode()
    assert "Test protocol, version 1" in html and "Sign a new version" not in html
    assert client.get("/comfort/protocol/new/").status_code == 403


def test_the_demo_protocol_says_so_on_its_page(page, prescriber, program):
    services.sign_protocol(
        acting_user=prescriber, program=program, title="Demo", is_demo=True,
        entries=[{"symptom": "diarrhea", "drug": "loperamide", "route": "oral", "dose_min_mg": "2",
                  "min_interval_minutes": 120, "max_24h_mg": "8", "follow_up_minutes": 60}],
    )  # fmt: skip
    assert "demo — not clinical guidance" in page(prescriber).get("/comfort/protocol/").content.decode()


def test_the_prescriber_orders_leaving_a_drug_out_and_narrowing_a_limit(page, prescriber, patient, protocol, admitted):
    entries = {e.drug: e.pk for e in protocol.entries.all()}
    data = {f"e{entries['loperamide']}-keep": "on", f"e{entries['loperamide']}-max_24h_mg": "6"}
    data |= {f"e{entries['acetaminophen']}-keep": "on"}
    response = page(prescriber).post(f"/patients/{patient.pk}/comfort/order/", data, follow=True)
    assert "Comfort medications ordered under Test protocol, version 1." in response.content.decode()
    order = ComfortOrder.objects.get()
    assert order.prescriber == prescriber
    assert sorted((line.entry.drug, line.max_24h_mg) for line in order.lines.all()) == [
        ("acetaminophen", None),
        ("loperamide", 6),
    ]


def test_widening_without_a_reason_is_refused_on_its_drug_and_nothing_is_ordered(page, prescriber, patient, protocol):
    loperamide = protocol.entries.get(drug="loperamide").pk
    client = page(prescriber)
    data = {f"e{loperamide}-keep": "on", f"e{loperamide}-min_interval_minutes": "60"}
    html = client.post(f"/patients/{patient.pk}/comfort/order/", data).content.decode()
    assert "an interval shorter than the protocol&#x27;s 2 h widens the protocol: give the reason" in html
    assert not ComfortOrder.objects.exists()
    data[f"e{loperamide}-widen_reason"] = "Severe diarrhea, discussed with the medical director"
    client.post(f"/patients/{patient.pk}/comfort/order/", data)
    assert ComfortOrder.objects.get().lines.get().widen_reason.startswith("Severe diarrhea")


def test_a_nurse_cannot_order(page, nurse, patient, protocol):
    assert page(nurse).get(f"/patients/{patient.pk}/comfort/order/").status_code == 403
    assert not Dose.objects.exists()
