"""The flowsheet's renderer writes the bytes DRF's JSONRenderer writes, orjson doing the work."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import orjson
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from waypoint.web.api import FastJSONRenderer, stored_json


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


def test_a_json_column_read_as_text_gives_the_bytes_of_its_decoded_value():
    """stored_json embeds a flat column's text without decoding it, and decodes any other: the same bytes either way."""
    stored = [
        "{}",
        "[]",
        '{"chills": 0, "gi_upset": 2, "tremor": -1}',  # PostgreSQL's jsonb text and Django's stored text alike
        '["resting_pulse", "pupil_size"]',
        '{"a": "b, c: d"}',  # spaces inside a string: decoded
        '{"total": 1.50, "items": [1, {"c": null}], "ok": true}',
        '{"note": "S\\u00fc\\u00df"}',
        '{"a": -0}',
    ]
    for text in stored:
        assert FastJSONRenderer().render({"x": stored_json(text)}) == JSONRenderer().render({"x": json.loads(text)})
    assert isinstance(stored_json('{"chills": 0, "tremor": 2}'), orjson.Fragment)
    assert stored_json(None) is None
