"""The patient's photo: taken at intake on the registration form (camera or file: a JPEG or PNG of at most 2 MB,
decoded as an image), stored with the record with its small square copy, shown on the dose page and (small, loaded
apart) on each queue row only to staff with the dispensing permission, every read and every photo taken audited."""

import struct
import zlib
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conftest import patient_fields
from waypoint.dispensing import services
from waypoint.dispensing.models import PatientPhoto
from waypoint.patients.models import Patient
from waypoint.privacy.models import AuditEvent


def png(width=2, height=2):
    """A real (tiny, grey) PNG: signature, IHDR, one IDAT, IEND."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg(width=4, height=3):
    """A real (small, blue) JPEG, as a camera's would decode."""
    out = BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def jpeg_markers_only(width=4, height=3):
    """The markers of a baseline JPEG and nothing to decode: SOI, APP0, the frame header (SOF0) with the size, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def test_a_photo_is_a_jpeg_or_png_of_at_most_2_mb_that_holds_together_as_an_image(nurse, patient):
    assert services.photo_kind(png(3, 2)) == ("image/png", 3, 2)
    assert services.photo_kind(jpeg(640, 480)) == ("image/jpeg", 640, 480)
    refused = (
        (b"", "Take or choose"),
        (b"GIF89a", "JPEG or PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "JPEG or PNG"),  # the signature alone: no IHDR, no IEND
        (b"\xff\xd8\xff" + b"\0" * 10, "JPEG or PNG"),  # a JPEG's first bytes, then nothing of one
        (png(3, 2)[:-12], "JPEG or PNG"),  # cut short: no IEND
        (jpeg_markers_only(), "JPEG or PNG"),  # holds together as a file, does not decode as an image
        (jpeg_markers_only(9000, 10), "8000 pixels"),  # refused from its header, never decoded
        (png(0, 2), "JPEG or PNG"),
        (png() + b"\0" * 2 * 1024 * 1024, "2 MB"),
    )
    for data, words in refused:
        with pytest.raises(ValidationError, match=words):
            services.record_photo(acting_user=nurse, patient=patient, data=data)
    assert not PatientPhoto.objects.exists()
    assert services.record_photo(acting_user=nurse, patient=patient, data=jpeg()).content_type == "image/jpeg"


def test_the_dose_page_shows_the_photo_to_dispensing_staff_and_each_read_is_audited(
    clock, nurse, counselor_off_team, intake, patient, order, page
):
    client = page(nurse)
    url = reverse("dispensing:photo-new", args=[patient.pk])
    client.post(url, {"photo": SimpleUploadedFile("me.png", png(), content_type="image/png")})
    photo = PatientPhoto.objects.get()
    assert bytes(photo.image) == png() and photo.taken_by == nurse
    dose_page = client.get(reverse("dispensing:dose", args=[patient.pk])).content.decode()
    src = reverse("dispensing:photo", args=[patient.pk, photo.pk])
    assert f'src="{src}"' in dose_page and "Photo of Maria Rivera" in dose_page
    served = client.get(src)
    assert served.status_code == 200 and served.content == png() and served["Content-Type"] == "image/png"
    assert served["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="dispensing.photo.read", patient_id=patient.pk).count() == 1
    assert page(counselor_off_team).get(src).status_code == 404
    assert page(intake).get(src).status_code == 403  # sees the chart, may not dispense: no photo
    refused = client.post(url, {"photo": SimpleUploadedFile("me.gif", b"GIF89a", content_type="image/gif")})
    assert refused.status_code == 400 and PatientPhoto.objects.count() == 1


REGISTRATION = {
    "given_name": "Ana",
    "family_name": "Okafor",
    "birth_date": "1990-02-03",
    "sex_at_birth": "female",
}


def test_the_intake_coordinator_takes_the_photo_on_the_registration_form_and_only_dispensing_staff_see_it(
    intake, nurse, page
):
    client = page(intake)
    form = client.get(reverse("patients:register")).content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file" name="photo" accept="image/*" capture="user"' in form
    photo = SimpleUploadedFile("camera.jpg", jpeg(), content_type="image/jpeg")
    response = client.post(reverse("patients:register"), REGISTRATION | {"photo": photo})
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get(family_name="Okafor")
    stored = PatientPhoto.objects.get(patient=patient)
    assert bytes(stored.image) == jpeg() and stored.taken_by == intake and stored.content_type == "image/jpeg"
    taken = AuditEvent.objects.get(action="dispensing.photo.create", patient_id=patient.pk)
    assert taken.actor_id == intake.pk and taken.detail["at_intake"] is True and taken.detail["width"] == 4
    src = reverse("dispensing:photo", args=[patient.pk, stored.pk])
    assert client.get(src).status_code == 403  # the coordinator who took it may not look at it again
    refusal = AuditEvent.objects.filter(action="access.denied", actor_id=intake.pk).latest("id")
    assert src in str(refusal.detail)
    assert page(nurse).get(src).status_code == 200  # the nurse on the patient's care team sees it


def test_a_photo_that_is_no_image_refuses_the_registration_and_saves_nothing(intake, page):
    client = page(intake)
    fake = SimpleUploadedFile("camera.jpg", b"\xff\xd8\xff not a photo", content_type="image/jpeg")
    response = client.post(reverse("patients:register"), REGISTRATION | {"photo": fake})
    assert response.status_code == 200 and "JPEG or PNG" in response.content.decode()
    assert not Patient.objects.filter(family_name="Okafor").exists() and not PatientPhoto.objects.exists()
    without = client.post(reverse("patients:register"), REGISTRATION)  # the photo may be taken later
    assert without.status_code == 302 and not PatientPhoto.objects.exists()


def camera_photo(width=300, height=400):
    """A photo as a phone's camera takes it (portrait, far larger than the queue's copy)."""
    out = BytesIO()
    Image.new("RGB", (width, height), (200, 150, 120)).save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_the_queue_shows_each_patients_small_photo_loaded_apart_and_a_placeholder_without_one(
    clock, nurse, prescriber, team, program, patient, order, page
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from waypoint.patients import services as patients

    from .conftest import order_methadone

    other = patients.register_patient(
        acting_user=nurse, program=program, care_team=team, **patient_fields(mrn="W-2002", given_name="Sam")
    )
    order_methadone(prescriber, other)
    services.record_photo(acting_user=nurse, patient=patient, data=png(640, 480))  # an older photo: not shown
    clock.shift(60)
    photo = services.record_photo(acting_user=nurse, patient=patient, data=camera_photo())
    client = page(nurse)
    client.get(reverse("dispensing:queue"))  # the session's first request does its own bookkeeping
    with CaptureQueriesContext(connection) as one_photo:
        queue = client.get(reverse("dispensing:queue")).content.decode()
    small = reverse("dispensing:photo-small", args=[patient.pk, photo.pk])
    assert (
        f'<img class="id-photo" src="{small}" alt="Photo of Maria Rivera" width="48" height="48" loading="lazy"'
        in queue
    )
    assert queue.count('class="id-photo') == 2 and "No photo: confirm identity another way" in queue  # Sam: none
    assert not AuditEvent.objects.filter(action="dispensing.photo.read").exists()  # the page reads no photo
    served = client.get(small)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "private, no-store"
    assert Image.open(BytesIO(served.content)).size == (96, 96) and len(served.content) < len(camera_photo()) / 2
    read = AuditEvent.objects.get(action="dispensing.photo.read", patient_id=patient.pk)
    assert read.actor_id == nurse.pk and read.detail == {"photo": photo.pk, "copy": "small"}
    services.record_photo(acting_user=nurse, patient=other, data=camera_photo())
    with CaptureQueriesContext(connection) as two_photos:
        assert "No photo" not in client.get(reverse("dispensing:queue")).content.decode()
    assert len(two_photos) == len(one_photo)


def test_the_small_photo_is_never_shown_without_the_dispensing_permission_nor_to_another_program(
    clock, nurse, intake, counselor_off_team, north_nurse, north_patient, patient, order, page
):
    photo = services.record_photo(acting_user=nurse, patient=patient, data=camera_photo())
    small = reverse("dispensing:photo-small", args=[patient.pk, photo.pk])
    assert page(intake).get(reverse("dispensing:queue")).status_code == 403  # sees charts, may not dispense
    assert page(intake).get(small).status_code == 403
    assert page(counselor_off_team).get(small).status_code == 404  # not on the patient's care team
    assert page(north_nurse).get(small).status_code == 404  # another program's patient
    elsewhere = reverse("dispensing:photo-small", args=[north_patient.pk, photo.pk])
    assert page(north_nurse).get(elsewhere).status_code == 404  # the photo is not their patient's
    assert not AuditEvent.objects.filter(action="dispensing.photo.read").exists()
    assert AuditEvent.objects.filter(action="access.denied", actor_id=north_nurse.pk).count() == 2
