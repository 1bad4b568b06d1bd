"""The program settings page (administrators): every declared setting with its value, default, help and origin.

Values are typed as JSON (a number, true/false, a list or an object); a setting whose default is text takes the
text as typed. Leaving the value empty puts the setting back to its default. Changes go through
`program_settings.change` (validated by the setting's own check, audited as `program.setting.change`).
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from waypoint.accounts.membership import program_or_403, require

from . import program_settings
from .models import User
from .roles import SETTINGS_MANAGE

AREAS = {
    "security": "Sign-in and sessions",
    "privacy": "Privacy and disclosures",
    "withdrawal": "Withdrawal management",
    "placement": "Level of care: placement, referrals, reassessment",
    "screening": "Screening and overdose prevention",
}
MAX_LENGTH = 20000


def parse_value(setting, text: str):
    """The typed value of what an administrator entered (None: back to the default)."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise ValidationError({"value": f"At most {MAX_LENGTH} characters."})
    if isinstance(setting.default, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            {"value": f"Give a number, true or false, or a JSON list or object ({error.msg} at column {error.colno})."}
        ) from error
    except RecursionError as error:  # the decoder recurses once per level: "[[[[..." thousands deep
        raise ValidationError(
            {"value": "This JSON nests deeper than can be read; a setting's value needs a few levels at most."}
        ) from error


def set_from_page(*, acting_user: User, program, key: str, text: str):
    require(acting_user, program.pk, SETTINGS_MANAGE)
    setting = program_settings.REGISTRY.get(key)
    if setting is None:
        raise ValidationError({"key": f"Unknown program setting {key!r}."})
    value = parse_value(setting, text)
    program_settings.change(program, key, value, acting_user=acting_user)
    return value


def shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2 if isinstance(value, list | dict) and len(json.dumps(value)) > 60 else None)


def last_changes(program) -> dict:
    """Who last set each setting and when, from the audit trail (the setting's origin in this program)."""
    from waypoint.audit.models import AuditEvent

    found: dict[str | None, AuditEvent] = {}
    events = AuditEvent.objects.filter(program_id=program.pk, action="program.setting.change").order_by("-at", "-id")
    for event in events.only("at", "actor_name", "detail")[:2000]:
        found.setdefault((event.detail or {}).get("key"), event)
    return found


def rows(program, errors: dict | None = None, typed: dict | None = None) -> list[tuple[str, list[dict]]]:
    stored = program_settings.values_for(program)
    changes = last_changes(program)
    grouped: dict[str, list[dict]] = {}
    for key in sorted(program_settings.REGISTRY):
        setting = program_settings.REGISTRY[key]
        area = key.split(".", 1)[0]
        is_set = key in stored
        grouped.setdefault(area, []).append(
            {
                "setting": setting,
                "key": key,
                "anchor": key.replace(".", "-"),
                "is_set": is_set,
                "value": stored.get(key, setting.default),
                "default_shown": shown(setting.default) or "none",
                "input": (typed or {}).get(key, shown(stored[key]) if is_set else ""),
                "multiline": not isinstance(setting.default, int | bool) or isinstance(stored.get(key), list | dict),
                "changed": changes.get(key),
                "errors": (errors or {}).get(key, []),
                "current_shown": shown(stored.get(key, setting.default)) or "none",
            }
        )
    order = list(AREAS)
    return [
        (AREAS.get(area, area.replace("_", " ").capitalize()), items)
        for area, items in sorted(grouped.items(), key=lambda a: (order.index(a[0]) if a[0] in order else 99, a[0]))
    ]


@require_GET
def settings_page(request):
    program = program_or_403(request)
    require(request.user, program.pk, SETTINGS_MANAGE)
    return render(request, "accounts/settings.html", {"program": program, "areas": rows(program)})


@require_POST
def setting_change(request, key):
    program = program_or_403(request)
    require(request.user, program.pk, SETTINGS_MANAGE)
    if key not in program_settings.REGISTRY:
        raise Http404
    text = "" if "reset" in request.POST else request.POST.get("value", "")
    try:
        value = set_from_page(acting_user=request.user, program=program, key=key, text=text)
    except ValidationError as error:
        messages_ = [m for ms in error.message_dict.values() for m in ms]
        return render(
            request,
            "accounts/settings.html",
            {
                "program": program,
                "areas": rows(program, errors={key: messages_}, typed={key: text}),
            },
            status=400,
        )
    messages.success(
        request, f"{key} set to {shown(value)}." if value is not None else f"{key} is back to its default."
    )
    return redirect(reverse("accounts:settings") + f"#{key.replace('.', '-')}")
