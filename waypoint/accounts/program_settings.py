"""Program settings: protocol choices a program makes, each declared once with its default and its origin.

A clinical cut-off that no source publishes as a standard is a setting, never a constant in code, and
every flag it produces names the setting (e.g. "meets program induction threshold
(withdrawal.induction_threshold_cows = 8)").
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

if TYPE_CHECKING:  # for the annotation only: like the functions below, no model import at load time
    from .models import User

REGISTRY: dict[str, "ProgramSetting"] = {}


def whole_number(low: int, high: int) -> Callable[[Any], None]:
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(f"Give a whole number from {low} to {high}.")

    return check


@dataclass(frozen=True)
class ProgramSetting:
    key: str
    default: Any
    help: str
    origin: str
    validate: Callable[[Any], None] | None = None
    label: str = ""  # the setting in words a clinician reads; the key is for code and administrators only

    def __post_init__(self):
        if self.key in REGISTRY:
            raise ValueError(f"program setting {self.key} declared twice")
        REGISTRY[self.key] = self

    def get(self, program) -> Any:
        return values_for(program).get(self.key, self.default)

    @property
    def words(self) -> str:
        """The setting's name as shown on clinical pages: its label, else its key's last part in plain words."""
        return self.label or self.key.split(".", 1)[-1].replace(".", " ").replace("_", " ")

    def describe(self, value) -> str:
        """A flag's or refusal's source, in words: `program setting "COWS induction threshold": 8`."""
        return f"program setting \u201c{self.words}\u201d: {value}"


def values_for(program) -> dict[str, Any]:
    """All of a program's stored settings in one query, cached on the program object."""
    from .models import ProgramSettingValue

    cached = getattr(program, "_setting_values", None)
    if cached is None:
        cached = dict(ProgramSettingValue.objects.filter(program=program).values_list("key", "value"))
        program._setting_values = cached
    return cached


@transaction.atomic
def change(program, key: str, value, *, acting_user: "User") -> None:
    """Set a program's value for a declared setting (None: back to the default), audited."""
    from waypoint.audit import trail as audit

    from .models import ProgramSettingValue

    setting = REGISTRY.get(key)
    if setting is None:
        raise ValidationError({"key": f"Unknown program setting {key!r}."})
    if value is None:
        ProgramSettingValue.objects.filter(program=program, key=key).delete()
    else:
        if setting.validate is not None:
            try:
                setting.validate(value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from error
        ProgramSettingValue.objects.update_or_create(program=program, key=key, defaults={"value": value})
    program.__dict__.pop("_setting_values", None)
    audit.record(acting_user, "program.setting.change", program=program, detail={"key": key, "value": value})
