"""The shape of a plan's body (and a template's), its validation and the edits the plan page makes.

A body is {"problems": [problem, ...]}; a problem is {id, description, diagnosis, screen_findings, goals,
interventions}; a goal {id, text (the patient's own words), objectives}; an objective {id, text, target_date}
(a template's: target_days); an intervention {id, modality, modality_label, frequency, responsible,
responsible_name}. Ids are stable across versions, so progress notes keep pointing at the same objective.

Errors are keyed by path (`problems.0.goals.1.objectives.0.target_date`) and say in words which item.
"""

import uuid
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError

from .codes import DIAGNOSES

PROBLEM_KEYS = {"id", "description", "diagnosis", "screen_findings", "goals", "interventions"}
GOAL_KEYS = {"id", "text", "objectives"}
OBJECTIVE_KEYS = {"id", "text", "target_date"}
TEMPLATE_OBJECTIVE_KEYS = {"id", "text", "target_days"}
INTERVENTION_KEYS = {"id", "modality", "modality_label", "frequency", "responsible", "responsible_name"}
TEXT_LIMIT = 2000


def new_id() -> str:
    return uuid.uuid4().hex[:10]


class Cleaner:
    """Validate a body; collect every error; return the normalised body."""

    def __init__(
        self,
        *,
        modalities: dict[str, str],
        staff: dict[int, str],
        findings: dict[str, str],
        template: bool = False,
        complete: bool = False,
    ):
        self.modalities = modalities
        self.staff = staff
        self.findings = findings
        self.template = template
        self.complete = complete
        self.errors: dict[str, str] = {}
        self.ids: set[str] = set()

    def error(self, key, message):
        self.errors.setdefault(key, message)

    def _id(self, item, key):
        value = item.get("id") or new_id()
        if not isinstance(value, str) or len(value) > 40:
            self.error(f"{key}.id", "An id is a short text.")
            return new_id()
        if value in self.ids:
            self.error(f"{key}.id", f"The id {value!r} is used twice.")
        self.ids.add(value)
        return value

    def _text(self, item, name, key, where, *, required=True, missing="this cannot be empty."):
        value = item.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.error(f"{key}.{name}", f"{where}: text expected.")
            return ""
        value = value.strip()
        if required and not value:
            self.error(f"{key}.{name}", f"{where}: {missing}")
        if len(value) > TEXT_LIMIT:
            self.error(f"{key}.{name}", f"{where}: at most {TEXT_LIMIT} characters.")
        return value

    def _unknown(self, item, allowed, key, where):
        if not isinstance(item, dict):
            self.error(key, f"{where}: an object expected.")
            return False
        for name in sorted(set(item) - allowed):
            self.error(f"{key}.{name}", f"{where}: unknown field.")
        return True

    def body(self, body: object) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - {"problems"}:
            raise ValidationError({"body": 'A plan body is {"problems": [...]}.'})
        problems = body.get("problems", [])
        if not isinstance(problems, list):
            raise ValidationError({"problems": "A list of problems expected."})
        clean = [self.problem(p, f"problems.{n}", f"Problem {n + 1}") for n, p in enumerate(problems)]
        if self.complete and not clean:
            self.error("problems", "A plan to sign needs at least one problem.")
        if self.errors:
            raise ValidationError(self.errors)
        return {"problems": clean}

    def problem(self, item, key, where):
        if not self._unknown(item, PROBLEM_KEYS, key, where):
            return {}
        diagnosis = item.get("diagnosis") or ""
        if diagnosis and diagnosis not in DIAGNOSES:
            self.error(
                f"{key}.diagnosis",
                f"{where}: {diagnosis!r} is not one of the diagnoses Waypoint lists ({', '.join(DIAGNOSES)}).",
            )
        findings = item.get("screen_findings") or []
        if not isinstance(findings, list):
            self.error(f"{key}.screen_findings", f"{where}: a list of screen findings expected.")
            findings = []
        if findings and self.template:
            self.error(f"{key}.screen_findings", f"{where}: a template cannot name a patient's screen findings.")
        for finding in findings:
            if finding not in self.findings:
                self.error(
                    f"{key}.screen_findings",
                    f"{where}: {finding!r} is not a finding present on the patient's latest complication screen.",
                )
        goals = item.get("goals") or []
        interventions = item.get("interventions") or []
        if not isinstance(goals, list):
            self.error(f"{key}.goals", f"{where}: a list of goals expected.")
            goals = []
        if not isinstance(interventions, list):
            self.error(f"{key}.interventions", f"{where}: a list of interventions expected.")
            interventions = []
        problem = {
            "id": self._id(item, key),
            "description": self._text(item, "description", key, where),
            "diagnosis": diagnosis,
            "screen_findings": [f for f in findings if isinstance(f, str)],
            "goals": [self.goal(g, f"{key}.goals.{n}", f"{where}, goal {n + 1}") for n, g in enumerate(goals)],
            "interventions": [
                self.intervention(i, f"{key}.interventions.{n}", f"{where}, intervention {n + 1}")
                for n, i in enumerate(interventions)
            ],
        }
        if self.complete and not problem["goals"]:
            self.error(f"{key}.goals", f"{where}: give at least one goal in the patient's own words.")
        if self.complete and not problem["interventions"]:
            self.error(f"{key}.interventions", f"{where}: give at least one intervention.")
        return problem

    def goal(self, item, key, where):
        if not self._unknown(item, GOAL_KEYS, key, where):
            return {}
        objectives = item.get("objectives") or []
        if not isinstance(objectives, list):
            self.error(f"{key}.objectives", f"{where}: a list of objectives expected.")
            objectives = []
        goal = {
            "id": self._id(item, key),
            "text": self._text(
                item,
                "text",
                key,
                where,
                required=self.complete and not self.template,
                missing="write the goal in the patient's own words.",
            ),
            "objectives": [
                self.objective(o, f"{key}.objectives.{n}", f"{where}, objective {n + 1}")
                for n, o in enumerate(objectives)
            ],
        }
        if self.complete and not goal["objectives"]:
            self.error(f"{key}.objectives", f"{where}: give at least one measurable objective.")
        return goal

    def objective(self, item, key, where):
        allowed = TEMPLATE_OBJECTIVE_KEYS if self.template else OBJECTIVE_KEYS
        if not self._unknown(item, allowed, key, where):
            return {}
        objective = {"id": self._id(item, key), "text": self._text(item, "text", key, where)}
        if self.template:
            days = item.get("target_days")
            if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 730):
                self.error(f"{key}.target_days", f"{where}: days from the plan's start, a whole number 1-730.")
                days = None
            objective["target_days"] = days
            return objective
        raw = item.get("target_date")
        if raw in (None, ""):
            if self.complete:
                self.error(f"{key}.target_date", f"{where}: give a target date.")
            objective["target_date"] = None
        else:
            try:
                objective["target_date"] = (raw if isinstance(raw, date) else date.fromisoformat(raw)).isoformat()
            except (TypeError, ValueError):
                self.error(f"{key}.target_date", f"{where}: a date as YYYY-MM-DD expected.")
                objective["target_date"] = None
        return objective

    def intervention(self, item, key, where):
        if not self._unknown(item, INTERVENTION_KEYS, key, where):
            return {}
        modality = item.get("modality") or ""
        label = self.modalities.get(modality)
        if label is None:
            self.error(f"{key}.modality", f"{where}: {modality!r} is not one of the program's modalities.")
        intervention = {
            "id": self._id(item, key),
            "modality": modality,
            "modality_label": label or modality,
            "frequency": self._text(item, "frequency", key, where, required=self.complete),
        }
        responsible = item.get("responsible")
        if self.template:
            if responsible not in (None, ""):
                self.error(f"{key}.responsible", f"{where}: a template names no staff member.")
            intervention.update(responsible=None, responsible_name="")
            return intervention
        if responsible in (None, ""):
            if self.complete:
                self.error(f"{key}.responsible", f"{where}: name the responsible staff member.")
            intervention.update(responsible=None, responsible_name="")
        elif isinstance(responsible, bool) or not isinstance(responsible, int) or responsible not in self.staff:
            self.error(f"{key}.responsible", f"{where}: not a clinical staff member of this program.")
            intervention.update(responsible=None, responsible_name="")
        else:
            intervention.update(responsible=responsible, responsible_name=self.staff[responsible])
        return intervention


def from_template(body: dict, start: date) -> dict:
    """A plan body from a template's: target dates from target_days, fresh ids, no responsible staff yet."""
    problems = []
    for problem in body.get("problems", []):
        goals = [
            {
                "id": new_id(),
                "text": "",
                "objectives": [  # the patient's own words, written with them
                    {
                        "id": new_id(),
                        "text": o["text"],
                        "target_date": (start + timedelta(days=o["target_days"])).isoformat()
                        if o.get("target_days")
                        else None,
                    }
                    for o in goal.get("objectives", [])
                ],
            }
            for goal in problem.get("goals", [])
        ]
        interventions = [
            {
                "id": new_id(),
                "modality": i["modality"],
                "modality_label": i.get("modality_label", ""),
                "frequency": i.get("frequency", ""),
                "responsible": None,
                "responsible_name": "",
            }
            for i in problem.get("interventions", [])
        ]
        problems.append(
            {
                "id": new_id(),
                "description": problem["description"],
                "diagnosis": problem.get("diagnosis", ""),
                "screen_findings": [],
                "goals": goals,
                "interventions": interventions,
            }
        )
    return {"problems": problems}


def to_template(body: dict, start: date) -> dict:
    """A template body from a plan's: target dates become days from `start`, staff and findings dropped."""
    problems = []
    for problem in body.get("problems", []):
        goals = []
        for goal in problem.get("goals", []):
            objectives = []
            for o in goal.get("objectives", []):
                days = None
                if o.get("target_date"):
                    days = max(1, (date.fromisoformat(o["target_date"]) - start).days)
                objectives.append({"id": new_id(), "text": o["text"], "target_days": days})
            goals.append({"id": new_id(), "text": goal["text"], "objectives": objectives})
        interventions = [
            {
                "id": new_id(),
                "modality": i["modality"],
                "modality_label": i["modality_label"],
                "frequency": i["frequency"],
                "responsible": None,
                "responsible_name": "",
            }
            for i in problem.get("interventions", [])
        ]
        problems.append(
            {
                "id": new_id(),
                "description": problem["description"],
                "diagnosis": problem["diagnosis"],
                "screen_findings": [],
                "goals": goals,
                "interventions": interventions,
            }
        )
    return {"problems": problems}


# --- edits the plan page makes on a draft (each returns a new body; the service validates and saves it) ---


def _find(body, item_id):
    for problem in body["problems"]:
        if problem["id"] == item_id:
            return "problem", problem, body["problems"]
        for goal in problem["goals"]:
            if goal["id"] == item_id:
                return "goal", goal, problem["goals"]
            for objective in goal["objectives"]:
                if objective["id"] == item_id:
                    return "objective", objective, goal["objectives"]
        for intervention in problem["interventions"]:
            if intervention["id"] == item_id:
                return "intervention", intervention, problem["interventions"]
    raise ValidationError({"item": "This item is no longer on the plan (reload the page)."})


def add_problem(body, *, description, diagnosis="", screen_findings=(), goal=""):
    goals = [{"id": new_id(), "text": goal, "objectives": []}] if goal.strip() else []
    body["problems"].append(
        {
            "id": new_id(),
            "description": description,
            "diagnosis": diagnosis,
            "screen_findings": list(screen_findings),
            "goals": goals,
            "interventions": [],
        }
    )
    return body


def add_goal(body, *, problem, text):
    kind, found, _ = _find(body, problem)
    if kind != "problem":
        raise ValidationError({"problem": "Choose a problem."})
    found["goals"].append({"id": new_id(), "text": text, "objectives": []})
    return body


def add_objective(body, *, goal, text, target_date):
    kind, found, _ = _find(body, goal)
    if kind != "goal":
        raise ValidationError({"goal": "Choose a goal."})
    found["objectives"].append(
        {"id": new_id(), "text": text, "target_date": target_date.isoformat() if target_date else None}
    )
    return body


def add_intervention(body, *, problem, modality, frequency, responsible):
    kind, found, _ = _find(body, problem)
    if kind != "problem":
        raise ValidationError({"problem": "Choose a problem."})
    found["interventions"].append(
        {
            "id": new_id(),
            "modality": modality,
            "frequency": frequency,
            "responsible": responsible,
            "responsible_name": "",
        }
    )
    return body


def update_problem(body, *, item, description, diagnosis=""):
    kind, found, _ = _find(body, item)
    if kind != "problem":
        raise ValidationError({"item": "Not a problem."})
    found.update(description=description, diagnosis=diagnosis)
    return body


def update_objective(body, *, item, text, target_date):
    kind, found, _ = _find(body, item)
    if kind != "objective":
        raise ValidationError({"item": "Not an objective."})
    found.update(text=text, target_date=target_date.isoformat() if target_date else None)
    return body


def update_goal(body, *, item, text):
    kind, found, _ = _find(body, item)
    if kind != "goal":
        raise ValidationError({"item": "Not a goal."})
    found["text"] = text
    return body


def update_intervention(body, *, item, frequency, responsible):
    kind, found, _ = _find(body, item)
    if kind != "intervention":
        raise ValidationError({"item": "Not an intervention."})
    found.update(frequency=frequency, responsible=responsible)
    return body


def kind_of(body, item) -> str:
    """ "problem", "goal", "objective" or "intervention"; a ValidationError when the item is not on the plan."""
    return _find(body, item)[0]


def remove(body, *, item, kind=None):
    found_kind, found, siblings = _find(body, item)
    if kind is not None and found_kind != kind:
        raise ValidationError({"item": f"Not a{'n' if kind[0] in 'aeiou' else ''} {kind}."})
    siblings.remove(found)
    return body
