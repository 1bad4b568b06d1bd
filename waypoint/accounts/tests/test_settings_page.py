"""The program settings page: every declared setting, its value, default, help and origin; edited by administrators."""

from django.urls import reverse

from waypoint.accounts import program_settings
from waypoint.privacy.models import AuditEvent


def test_every_declared_setting_is_listed_with_default_help_and_origin(page, administrator):
    body = page(administrator).get(reverse("accounts:settings")).content.decode()
    for key in program_settings.REGISTRY:
        assert f">{key}</code>" in body, key
        assert f'id="{key.replace(".", "-")}"' in body
    idle = program_settings.REGISTRY["security.idle_timeout_minutes"]
    assert "HIPAA 45 CFR 164.312(a)(2)(iii)" in body and idle.help in body
    assert "Withdrawal management" in body and "Sign-in and sessions" in body  # grouped by area
    assert "placement.rule_table" not in body  # the rule table has its own page with versions


def test_an_administrator_changes_a_setting_and_the_change_is_audited(page, administrator, program):
    response = page(administrator).post(
        reverse("accounts:setting-change", args=["withdrawal.late_entry_days"]), {"value": "3"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#withdrawal-late_entry_days")
    program.__dict__.pop("_setting_values", None)
    assert program_settings.REGISTRY["withdrawal.late_entry_days"].get(program) == 3
    event = AuditEvent.objects.get(action="program.setting.change")
    assert event.detail == {"key": "withdrawal.late_entry_days", "value": 3} and event.actor == administrator
    body = page(administrator).get(reverse("accounts:settings")).content.decode()
    assert f"set by {event.actor_name} on" in body


def test_a_value_the_setting_refuses_is_shown_beside_it_and_nothing_changes(page, administrator, program):
    response = page(administrator).post(
        reverse("accounts:setting-change", args=["security.idle_timeout_minutes"]), {"value": "900"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_security-idle_timeout_minutes_error"' in body and "from 1 to 240" in body
    assert not AuditEvent.objects.filter(action="program.setting.change").exists()


def test_text_that_is_not_json_is_refused_for_a_list_setting(page, administrator):
    response = page(administrator).post(
        reverse("accounts:setting-change", args=["placement.priority_flags"]), {"value": "pregnant, injects"}
    )
    assert response.status_code == 400 and "JSON list or object" in response.content.decode()


def test_a_list_setting_nested_thousands_deep_is_refused_beside_it_not_a_server_error(page, administrator):
    """Python's JSON decoder recurses once per level: 20,000 brackets (within the field's length) ended in a 500."""
    response = page(administrator).post(
        reverse("accounts:setting-change", args=["placement.priority_flags"]), {"value": "[" * 20000}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_placement-priority_flags_error"' in body and "nests deeper than" in body
    assert not AuditEvent.objects.filter(action="program.setting.change").exists()


def test_a_text_setting_takes_the_text_as_typed_and_reset_goes_back_to_the_default(page, administrator, program):
    client = page(administrator)
    client.post(reverse("accounts:setting-change", args=["privacy.part2_notice"]), {"value": "Our notice."})
    setting = program_settings.REGISTRY["privacy.part2_notice"]
    program.__dict__.pop("_setting_values", None)
    assert setting.get(program) == "Our notice."
    client.post(reverse("accounts:setting-change", args=["privacy.part2_notice"]), {"value": "x", "reset": "1"})
    program.__dict__.pop("_setting_values", None)
    assert setting.get(program) == setting.default


def test_only_administrators_reach_the_page(page, nurse, intake, administrator):
    assert page(nurse).get(reverse("accounts:settings")).status_code == 403
    response = page(intake).post(
        reverse("accounts:setting-change", args=["withdrawal.late_entry_days"]), {"value": "3"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="program.setting.change").exists()


def test_an_unknown_setting_is_not_found(page, administrator):
    assert (
        page(administrator).post(reverse("accounts:setting-change", args=["nope.nothing"]), {"value": "1"}).status_code
        == 404
    )
