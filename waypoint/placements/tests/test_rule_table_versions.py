"""The rule table in versions: an administrator saves (checked), views and restores; placements name their version."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from waypoint.placement.rules import default_table
from waypoint.placements import rule_tables, services
from waypoint.placements.models import RuleTableVersion
from waypoint.privacy.models import AuditEvent

LOW = {"d1": 0, "d2": 0, "d3": 0, "d4": 1, "d5": 1, "d6": 0}  # default table: level 1


def harbor_table():
    table = default_table(3)
    table["name"] = "Harbor table"
    table["rules"].append(
        {"id": "D5-2", "when": [{"dimension": 5, "at_least": 2}], "level": "2.5", "why": "Harbor: continued use risk"}
    )
    return table


def broken_table():
    table = default_table(3)
    table["rules"].append({"id": "BAD", "when": [{"dimension": 4, "at_most": 1}], "level": "3.1"})
    return table


def save(user, program, table, note="Harbor review"):
    return rule_tables.save_version(acting_user=user, program=program, table=table, note=note)


def test_without_a_version_the_default_table_is_in_force_and_placements_say_so(nurse, patient, program):
    placement = services.record_placement(acting_user=nurse, patient=patient, ratings=LOW)
    assert placement.rule_table is None
    assert placement.table_name == default_table(3)["name"] and placement.table_version == 1


def test_each_save_is_a_new_numbered_version_with_author_time_and_note(administrator, program):
    first = save(administrator, program, harbor_table())
    table = harbor_table()
    table["rules"][-1]["level"] = "3.1"
    second = save(administrator, program, table, note="D5-2 to 3.1 after the March audit")
    assert (first.number, second.number) == (1, 2)
    assert second.author == administrator and second.note == "D5-2 to 3.1 after the March audit"
    assert second.table["version"] == 2
    assert rule_tables.active_version(program) == second
    assert AuditEvent.objects.filter(action="placement.rule_table.save", program_id=program.pk).count() == 2


def test_a_placement_records_the_version_it_used(administrator, nurse, patient, program):
    version = save(administrator, program, harbor_table())
    placement = services.record_placement(acting_user=nurse, patient=patient, ratings=LOW | {"d5": 2})
    assert placement.recommended_level == "2.5" and "D5-2" in placement.rules_fired
    assert placement.rule_table == version and placement.table_version == 1


def test_the_placement_page_and_api_name_the_table_version(administrator, nurse, patient, program, page, api):
    save(administrator, program, harbor_table())
    services.record_placement(acting_user=nurse, patient=patient, ratings=LOW)
    body = page(nurse).get(reverse("placements:placement", args=[patient.pk])).content.decode()
    assert 'href="/placement/rules/versions/1/">program version 1</a>' in body
    recommendation = api(nurse).get(f"/api/v1/patients/{patient.pk}/placements/").json()["results"][0]["recommendation"]
    assert recommendation["table_version"] == 1 and recommendation["program_table"] is True


def test_a_table_that_breaks_monotonicity_is_refused_with_the_first_counterexample(administrator, program):
    with pytest.raises(ValidationError) as caught:
        save(administrator, program, broken_table())
    message = caught.value.message_dict["table"][0]
    assert "raising dimension 4 from 1 to 2" in message
    assert "First counterexample: d1 = 0, d2 = 0, d3 = 0, d4 = 1, d5 = 0, d6 = 0" in message
    assert not RuleTableVersion.objects.exists()


def test_a_table_that_leaves_a_combination_without_a_recommendation_is_refused(administrator, program):
    table = default_table(3)
    table["default_level"] = None
    with pytest.raises(ValidationError) as caught:
        save(administrator, program, table)
    assert "ratings [0, 0, 0, 0, 0, 0] get no recommendation" in caught.value.message_dict["table"][0]


def test_two_levels_of_equal_intensity_for_one_combination_are_refused(administrator, program):
    table = default_table(3)
    rank = next(r for r in table["intensity"] if "3.5" in r)
    rank.append("3.3")
    table["intensity"] = [r for r in table["intensity"] if r == rank or "3.3" not in r]
    table["rules"].append({"id": "TIE", "when": [{"dimensions_at_least": 3, "count": 2}], "level": "3.3"})
    with pytest.raises(ValidationError) as caught:
        save(administrator, program, table)
    assert "recommendations of equal intensity" in caught.value.message_dict["table"][0]


def test_a_table_of_the_other_edition_and_a_missing_note_are_refused(administrator, program):
    with pytest.raises(ValidationError) as caught:
        save(administrator, program, default_table(4), note=" ")
    assert set(caught.value.message_dict) == {"table", "note"}
    assert "edition 4" in caught.value.message_dict["table"][0]


def test_only_an_administrator_saves_a_version(nurse, program):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        save(nurse, program, harbor_table())


def test_restoring_an_older_version_adds_a_new_version(administrator, program):
    first = save(administrator, program, harbor_table())
    save(administrator, program, default_table(3), note="Back to the default rules")
    restored = rule_tables.restore(acting_user=administrator, program=program, version=first)
    assert restored.number == 3 and restored.restored_from == first
    assert rule_tables.table_in_force(program)[0]["rules"] == first.table["rules"]
    assert restored.note == "Restored version 1."


def test_saving_the_table_in_force_again_is_refused(administrator, program):
    with pytest.raises(ValidationError) as caught:
        save(administrator, program, default_table(3))
    assert "same as the one in force" in caught.value.message_dict["table"][0]


def test_the_edit_page_shows_the_counterexample_and_saves_nothing(page, administrator, program):
    response = page(administrator).post(
        reverse("placements:rule-table-edit"), {"table": json.dumps(broken_table()), "note": "try"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_table_error"' in body and "First counterexample: d1 = 0" in body
    assert "Refused, nothing saved." in body
    assert not RuleTableVersion.objects.exists()


def test_the_edit_page_refuses_json_that_does_not_parse(page, administrator):
    body = (
        page(administrator)
        .post(reverse("placements:rule-table-edit"), {"table": "{not json", "note": "try"})
        .content.decode()
    )
    assert "Not valid JSON" in body and not RuleTableVersion.objects.exists()


def test_the_pages_save_view_and_restore_versions(page, administrator, nurse, program):
    client = page(administrator)
    response = client.post(
        reverse("placements:rule-table-edit"), {"table": json.dumps(harbor_table()), "note": "Harbor review 2026"}
    )
    assert response.status_code == 302
    client.post(reverse("placements:rule-table-edit"), {"table": json.dumps(default_table(3)), "note": "Back"})
    body = page(nurse).get(reverse("placements:rule-table")).content.decode()
    assert "program version 2" in body and "Harbor review 2026" in body and "in force" in body
    assert "Edit the table" not in body  # a nurse views, an administrator edits
    older = page(nurse).get(reverse("placements:rule-table-version", args=[1])).content.decode()
    assert "rule-D5-2" in older and "Restore as a new version" not in older
    response = client.post(reverse("placements:rule-table-restore", args=[1]), {"note": ""})
    assert response.status_code == 302
    assert rule_tables.active_version(program).restored_from.number == 1


def test_a_version_of_another_program_is_not_found(page, administrator, north, north_nurse):
    from waypoint.accounts.models import Membership

    save(administrator, administrator.memberships.get().program, harbor_table())
    assert Membership.objects.filter(user=north_nurse).exists()
    assert page(north_nurse).get(reverse("placements:rule-table-version", args=[1])).status_code == 404


def test_the_edit_page_refuses_json_nested_thousands_deep_beside_the_table_not_a_server_error(page, administrator):
    response = page(administrator).post(
        reverse("placements:rule-table-edit"), {"table": "[" * 20_000 + "]" * 20_000, "note": "try"}
    )
    assert response.status_code == 200
    assert "nests deeper than can be read" in response.content.decode() and not RuleTableVersion.objects.exists()
