"""The patient's photo: taken at intake (JPEG or PNG, at most 2 MB), stored with the record, shown on the dose
page only to staff with the dispensing permission, every read audited."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from waypoint.dispensing import services
from waypoint.dispensing.models import PatientPhoto
from waypoint.privacy.models import AuditEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_a_photo_is_a_jpeg_or_png_of_at_most_2_mb(nurse, patient):
    for data, words in ((b"", "Take or choose"), (b"GIF89a", "JPEG or PNG"), (PNG + b"\0" * 2 * 1024 * 1024, "2 MB")):
        with pytest.raises(ValidationError, match=words):
            services.record_photo(acting_user=nurse, patient=patient, data=data)
    assert not PatientPhoto.objects.exists()
    assert services.record_photo(
        acting_user=nurse, patient=patient, data=b"\xff\xd8\xff" + b"\0" * 10
    ).content_type == ("image/jpeg")


def test_the_dose_page_shows_the_photo_to_dispensing_staff_and_each_read_is_audited(
    clock, nurse, counselor_off_team, patient, order, page
):
    client = page(nurse)
    url = reverse("dispensing:photo-new", args=[patient.pk])
    client.post(url, {"photo": SimpleUploadedFile("me.png", PNG, content_type="image/png")})
    photo = PatientPhoto.objects.get()
    assert bytes(photo.image) == PNG and photo.taken_by == nurse
    dose_page = client.get(reverse("dispensing:dose", args=[patient.pk])).content.decode()
    src = reverse("dispensing:photo", args=[patient.pk, photo.pk])
    assert f'src="{src}"' in dose_page and "Photo of Maria Rivera" in dose_page
    served = client.get(src)
    assert served.status_code == 200 and served.content == PNG and served["Content-Type"] == "image/png"
    assert served["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="dispensing.photo.read", patient_id=patient.pk).count() == 1
    assert page(counselor_off_team).get(src).status_code == 404
    refused = client.post(url, {"photo": SimpleUploadedFile("me.gif", b"GIF89a", content_type="image/gif")})
    assert refused.status_code == 400 and PatientPhoto.objects.count() == 1
