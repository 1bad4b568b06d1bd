"""The flowsheet's renderer writes the bytes DRF's JSONRenderer writes, orjson doing the work."""

from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from waypoint.web.api import FastJSONRenderer


def test_the_same_bytes_as_drfs_renderer():
    data = {
        "count": 2,
        "next": "http://testserver/api/v1/patients/1/assessments/?cursor=cD0yMDI2",
        "results": [
            {"id": 1, "total": 12, "vitals": {"temperature_c": Decimal("37.8"), "pulse_bpm": 118}, "note": "Süß <b>"},
            {"id": 2, "severity": None, "derived": {"flags": [True, False]}, "label": gettext_lazy("Mild")},
        ],
        "taken_at": datetime(2026, 12, 7, 14, 0, 0, 123456, tzinfo=UTC),
        "errors": {"since": [ErrorDetail("Give an offset.", code="invalid")]},
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    assert FastJSONRenderer().render(None) == JSONRenderer().render(None) == b""
