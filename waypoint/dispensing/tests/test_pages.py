"""The dosing window's pages: the queue finds by name or MRN, the dose page gives the dose or shows the refusal in
the nurse's words, a hold is set and lifted from the page."""

from django.urls import reverse

from waypoint.dispensing.models import Hold
from waypoint.medication.models import Administration


def test_the_queue_and_a_dose_from_it(clock, nurse, patient, order, lot, page):
    client = page(nurse)
    queue = client.get(reverse("dispensing:queue")).content.decode()
    assert "Maria Rivera" in queue and "W-1001" in queue and "1 due, 0 on hold, of 1" in queue
    assert "Maria" not in client.get(reverse("dispensing:queue"), {"q": "nobody"}).content.decode().split("<main")[-1]
    dose_page = reverse("dispensing:dose", args=[patient.pk])
    refused = client.post(dose_page, {"amount": "70", "lot": lot.pk})
    assert refused.status_code == 400 and "differs from the order" in refused.content.decode()
    assert not Administration.objects.exists()
    given = client.post(dose_page, {"amount": "60", "lot": lot.pk}, follow=True)
    assert "Dosed: Maria Rivera" in given.content.decode() and Administration.objects.count() == 1
    again = client.get(dose_page).content.decode()
    assert "already given" in again


def test_a_hold_from_the_page_refuses_the_dose_and_a_prescriber_lifts_it(
    clock, nurse, prescriber, patient, order, lot, page
):
    client = page(nurse)
    client.post(reverse("dispensing:hold-new", args=[patient.pk]), {"kind": "clinical", "reason": "BAC 0.05"})
    hold = Hold.objects.get()
    body = client.get(reverse("dispensing:dose", args=[patient.pk])).content.decode()
    assert "Clinical hold" in body and "BAC 0.05" in body and "A prescriber lifts it" in body
    assert "On hold" in client.get(reverse("dispensing:queue")).content.decode()
    refused = client.post(reverse("dispensing:dose", args=[patient.pk]), {"amount": "60", "lot": lot.pk})
    assert refused.status_code == 400 and not Administration.objects.exists()
    assert client.post(reverse("dispensing:hold-lift", args=[patient.pk, hold.pk]), {"note": "ok"}).status_code == 403
    page(prescriber).post(reverse("dispensing:hold-lift", args=[patient.pk, hold.pk]), {"note": "Reassessed"})
    assert Hold.objects.get().lifted_by == prescriber


def test_take_homes_signed_issued_labelled_and_returned_from_the_pages(
    clock, nurse, prescriber, patient, order, lot, page, educated
):
    from waypoint.dispensing.models import TakeHomeBottle
    from waypoint.dispensing.services import CRITERIA

    url = reverse("dispensing:take-homes", args=[patient.pk])
    doctor = page(prescriber)
    missing = doctor.post(url, {"action": "decide", "days": "3", "basis": "stable"})
    assert missing.status_code == 400 and not TakeHomeBottle.objects.exists()
    answers = dict.fromkeys(CRITERIA, "yes")
    over = doctor.post(url, {"action": "decide", "days": "15", "basis": "stable"} | answers)
    assert over.status_code == 400 and "at most 14 days" in over.content.decode()
    doctor.post(url, {"action": "decide", "days": "2", "basis": "stable"} | answers)
    client = page(nurse)
    assert "Sign a take-home decision" not in client.get(url).content.decode()  # nurses do not sign
    labels = client.post(url, {"action": "issue", "days": "2", "lot": lot.pk}, follow=True).content.decode()
    bottles = list(TakeHomeBottle.objects.order_by("take_on"))
    assert len(bottles) == 2 and all(b.code in labels for b in bottles)
    client.post(reverse("dispensing:bottle-return", args=[patient.pk, bottles[0].pk]), {"empty": "yes"})
    assert TakeHomeBottle.objects.get(pk=bottles[0].pk).returned_empty is True


def test_a_patient_on_hold_shows_the_hold_in_the_queue_instead_of_a_dose_button(
    clock, nurse, prescriber, patient, order, lot, page
):
    from waypoint.dispensing import services

    services.set_hold(acting_user=nurse, patient=patient, kind="clinical", reason="Breath alcohol 0.05 at the window")
    queue = page(nurse).get(reverse("dispensing:queue")).content.decode()
    assert "Breath alcohol 0.05 at the window" in queue and f"Set by {nurse}" in queue
    assert "A prescriber lifts it after reassessing the patient." in queue
    assert "Dose Maria Rivera" not in queue and "Lift the hold" not in queue  # a nurse does not lift a clinical hold
    assert "0 due, 1 on hold, of 1" in queue
    assert ">Lift the hold</a>" in page(prescriber).get(reverse("dispensing:queue")).content.decode()


def test_the_queue_rows_escape_what_was_typed_and_a_nurse_lifts_an_administrative_hold(
    clock, nurse, patient, order, lot, page
):
    """The queue's rows are written in Python (`dispensing.queue_html`): a name or a hold reason typed with markup
    shows as text, never as markup; the nurse gets a lift link for an administrative hold only, pointing at it."""
    from waypoint.dispensing import services

    patient.family_name = "Rivera<script>alert(1)</script>"
    patient.save(update_fields=["family_name"])
    hold = services.set_hold(acting_user=nurse, patient=patient, kind="administrative", reason='Fee unpaid "<b>"')
    queue = page(nurse).get(reverse("dispensing:queue")).content.decode()
    assert "<script>alert(1)" not in queue and "Rivera&lt;script&gt;alert(1)&lt;/script&gt;" in queue
    assert "Fee unpaid &quot;&lt;b&gt;&quot;" in queue and "<b>" not in queue.split("<main")[-1]
    lift = reverse("dispensing:hold-lift", args=[patient.pk, hold.pk])
    assert f'<a href="{lift}" aria-label="Lift the hold on Maria Rivera&lt;script&gt;' in queue
    assert "A nurse or prescriber lifts it once the administrative matter is settled." in queue
    assert 'class="button"' not in queue.split("dosing-queue")[-1]  # no Dose button while held


def test_the_queue_searches_as_the_patient_list_does_and_refuses_a_search_over_its_limit(
    clock, nurse, patient, order, lot, page
):
    client = page(nurse)
    assert "Dose Maria Rivera" in client.get(reverse("dispensing:queue"), {"q": "W-1001"}).content.decode()
    born = f"{patient.birth_date:%Y-%m-%d}"
    assert "Dose Maria Rivera" in client.get(reverse("dispensing:queue"), {"q": born}).content.decode()
    too_long = client.get(reverse("dispensing:queue"), {"q": "x" * 101})
    assert too_long.status_code == 400 and "at most 100 characters" in too_long.content.decode()
    assert "Dose Maria Rivera" not in too_long.content.decode()
