"""Treatment pages: the plan beside the chart, sessions and attendance, notes, schedules, the review work list."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts import program_settings
from waypoint.accounts.roles import (
    CENSUS_READ,
    CHART_READ,
    COUNSELING_NOTE_WRITE,
    PLAN_WRITE,
    SESSION_WRITE,
    TREATMENT_CONFIGURE,
)
from waypoint.patients import views as patient_views
from waypoint.patients.access import access_patient, access_record, has_permission, require, visible_patients
from waypoint.patients.queries import search
from waypoint.patients.services import record_read
from waypoint.patients.views import program_or_403

from . import forms, services
from .access import access_session
from .codes import diagnosis_label
from .due import due_for
from .models import Attendance, PlanTemplate, ProgressNote, Session, TreatmentPlan
from .settings import CATEGORY_LABELS, MODALITIES, modalities


def add_errors(form, error: ValidationError) -> None:
    patient_views.add_errors(form, error, field_of=forms.field_for)


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


# --- the plan -------------------------------------------------------------------------------------------


def present(plan: TreatmentPlan, findings: dict[str, str]) -> list[dict]:
    """The plan body with labels, for the page."""
    from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

    def finding_label(key):
        return findings.get(key) or (HEROIN_COMPLICATIONS.item(key).label if key in HEROIN_COMPLICATIONS.keys else key)

    return [
        {
            **problem,
            "diagnosis_label": diagnosis_label(problem["diagnosis"]) if problem["diagnosis"] else "",
            "finding_labels": [finding_label(f) for f in problem["screen_findings"]],
        }
        for problem in plan.body.get("problems", [])
    ]


def _plan_forms(patient, plan, staff, findings, bound=None):
    problems = [(p["id"], p["description"][:80]) for p in (plan.body.get("problems", []) if plan else [])]
    goals = [
        (g["id"], f"{p['description'][:40]} → {g['text'][:60]}")
        for p in (plan.body["problems"] if plan else [])
        for g in p["goals"]
    ]
    made = {
        "problem_form": forms.ProblemForm(findings=findings, prefix="problem"),
        "goal_form": forms.GoalForm(problems=problems, prefix="goal"),
        "objective_form": forms.ObjectiveForm(goals=goals, prefix="objective"),
        "intervention_form": forms.InterventionForm(
            problems=problems, program=patient.program, staff=staff, prefix="intervention"
        ),
        "acknowledge_form": forms.AcknowledgeForm(),
        "amend_form": forms.AmendForm(initial={"version": plan.version if plan else None}),
        "review_form": forms.ReviewForm(),
        "template_form": forms.TemplateFromPlanForm(program=patient.program),
    }
    made.update(bound or {})
    return made


ROWS = "plan-rows"  # the id of the plan editor's one form: every goal and intervention row belongs to it


def row_forms(plan, staff, data=None) -> dict:
    """A form for each goal and intervention row of the draft (bound to `data` when the rows were posted); all of
    them belong to the one form of the editor (HTML `form` attribute), saved by one Save."""
    made: dict[str, forms.UpdateGoalForm | forms.UpdateInterventionForm] = {}
    for problem in plan.body.get("problems", []):
        for goal in problem["goals"]:
            made[goal["id"]] = forms.UpdateGoalForm(
                data, prefix=f"u-{goal['id']}", initial={"item": goal["id"], "text": goal["text"]}
            )
        for intervention in problem["interventions"]:
            made[intervention["id"]] = forms.UpdateInterventionForm(
                data,
                staff=staff,
                intervention=intervention["modality_label"],
                prefix=f"u-{intervention['id']}",
                initial={
                    "item": intervention["id"],
                    "frequency": intervention["frequency"],
                    "responsible": intervention["responsible"],
                },
            )
    for form in made.values():
        for field in form.fields.values():
            field.widget.attrs["form"] = ROWS
    return made


def _plan_context(request, patient, plan=None, bound=None, start_form=None):
    episode = patient.episodes.filter(discharged_at__isnull=True).prefetch_related("stays").first()
    versions = list(
        TreatmentPlan.objects.filter(patient=patient)
        .select_related("clinician_signed_by", "patient_witnessed_by", "episode")
        .order_by("-episode__admitted_at", "-version")
    )
    if plan is None:
        plan = next((v for v in versions if episode and v.episode_id == episode.pk), None)
    staff = services.clinical_staff(patient.program)
    findings = services.present_findings(patient)
    can_write = has_permission(request.user, patient.program_id, PLAN_WRITE)
    stay = episode.current_stay if episode else None
    update_forms = row_forms(plan, staff) if plan is not None and plan.is_draft else {}
    due = next(iter(due_for(patient.program, [patient])), None) if episode else None
    return {
        "patient": patient,
        "episode": episode,
        "plan": plan,
        "versions": versions,
        "problems": present(plan, findings) if plan else [],
        "can_write": can_write,
        "can_configure": has_permission(request.user, patient.program_id, TREATMENT_CONFIGURE),
        "is_current": plan is not None
        and episode is not None
        and plan.episode_id == episode.pk
        and (plan.pk == versions[0].pk if versions else False),
        "start_form": start_form
        or forms.StartPlanForm(program=patient.program, staff=staff, level_code=stay.level_code if stay else None),
        "update_forms": update_forms,
        "rows_form": ROWS,
        "due": due,
        "reviews": plan.reviews.select_related("reviewed_by") if plan and not plan.is_draft else [],
        **_plan_forms(patient, plan, staff, findings, bound),
    }


@require_http_methods(["GET", "POST"])
def plan_page(request, pk):
    """The episode's plan (newest version), its versions, and the start form when there is none."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    start_form = None
    if request.method == "POST":
        require(request.user, patient.program_id, PLAN_WRITE)
        start_form = forms.StartPlanForm(
            request.POST, program=patient.program, staff=services.clinical_staff(patient.program)
        )
        if start_form.is_valid():
            try:
                plan = services.start_plan(
                    acting_user=request.user,
                    patient=patient,
                    template=start_form.cleaned_data["template"],
                    responsible=start_form.cleaned_data["responsible"],
                )
            except ValidationError as error:
                add_errors(start_form, error)
            else:
                messages.success(request, "Plan started as a draft: adapt it, then sign.")
                return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
    context = _plan_context(request, patient, start_form=start_form)
    record_read(request.user, "plan.read", patient=patient, obj=context["plan"])
    return render(request, "treatment/plan.html", context, status=400 if start_form and start_form.errors else 200)


def _plan_of(request, pk, plan_id):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    plan = access_record(patient, TreatmentPlan.objects.select_related("episode", "replaces"), plan_id)
    return patient, plan


ADDITIONS = {  # the page's action -> its form and the named, audited service that adds the item
    "add_problem": ("problem_form", services.add_problem),
    "add_goal": ("goal_form", services.add_goal),
    "add_objective": ("objective_form", services.add_objective),
    "add_intervention": ("intervention_form", services.add_intervention),
}
PREFIXES = {name: name.removesuffix("_form") for name, _ in ADDITIONS.values()}


def _stale(request, patient, stale):
    messages.error(request, f"{stale} Nothing was changed; here is the plan as it is now.")
    return redirect("treatment:plan", pk=patient.pk)


@require_http_methods(["GET", "POST"])
def plan_version(request, pk, plan_id):
    """One version of the plan; a draft is edited here, item by item (each edit checks the draft's revision)."""
    patient, plan = _plan_of(request, pk, plan_id)
    bound = {}
    if request.method == "POST":
        require(request.user, patient.program_id, PLAN_WRITE)
        context = _plan_context(request, patient, plan)
        action = request.POST.get("action", "")
        revision = _int(request.POST.get("revision"))
        form = None
        try:
            if action in ADDITIONS:
                name, add = ADDITIONS[action]
                form = type(context[name])(request.POST, prefix=PREFIXES[name], **_form_kwargs(name, context, patient))
                bound[name] = form
                if form.is_valid():
                    add(acting_user=request.user, plan=plan, revision=revision, **form.cleaned_data)
                    messages.success(request, "Plan draft saved.")
                    return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
            elif action == "save_rows":
                return _save_rows(request, patient, plan, revision)
            elif action == "remove":
                services.remove_item(
                    acting_user=request.user, plan=plan, revision=revision, item=request.POST.get("item", "")
                )
                messages.success(request, "Removed from the draft.")
                return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
            else:
                raise Http404
        except services.StaleVersion as stale:
            return _stale(request, patient, stale)
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
            add_errors(form, error)
        context = _plan_context(request, patient, plan, bound=bound)
        return render(request, "treatment/plan.html", context, status=400)
    context = _plan_context(request, patient, plan)
    record_read(request.user, "plan.read", patient=patient, obj=plan)
    return render(request, "treatment/plan.html", context)


def _save_rows(request, patient, plan, revision):
    """The editor's one Save: every row as typed, or, when one is wrong, the page again with what was typed and
    each row's error (nothing is saved then, and nothing typed is lost)."""
    rows = row_forms(plan, services.clinical_staff(patient.program), request.POST)
    problem = ""
    if all(row.is_valid() for row in rows.values()):
        try:
            _, changed = services.save_rows(acting_user=request.user, plan=plan, revision=revision, **_rows_of(rows))
        except ValidationError as error:
            problem = " ".join(error.messages)
        else:
            messages.success(request, f"{changed} change{'s' if changed != 1 else ''} saved.")
            return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
    context = _plan_context(request, patient, plan)
    context["update_forms"] = rows
    context["rows_error"] = problem or "Nothing was saved: correct the rows marked below, then save again."
    return render(request, "treatment/plan.html", context, status=400)


def _rows_of(rows) -> dict:
    """The posted rows as save_rows takes them: goal texts and intervention (frequency, responsible)."""
    goals, interventions = {}, {}
    for item, form in rows.items():
        data = form.cleaned_data
        if isinstance(form, forms.UpdateGoalForm):
            goals[item] = data["text"]
        else:
            interventions[item] = (data["frequency"], data["responsible"])
    return {"goals": goals, "interventions": interventions}


def _form_kwargs(name, context, patient):
    staff = services.clinical_staff(patient.program)
    plan = context["plan"]
    problems = [(p["id"], p["description"][:80]) for p in plan.body.get("problems", [])]
    goals = [(g["id"], g["text"][:60]) for p in plan.body.get("problems", []) for g in p["goals"]]
    return {
        "problem_form": {"findings": services.present_findings(patient)},
        "goal_form": {"problems": problems},
        "objective_form": {"goals": goals},
        "intervention_form": {"problems": problems, "program": patient.program, "staff": staff},
    }[name]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@require_POST
def plan_sign(request, pk, plan_id):
    patient, plan = _plan_of(request, pk, plan_id)
    require(request.user, patient.program_id, PLAN_WRITE)
    try:
        services.sign_plan(acting_user=request.user, plan=plan, revision=_int(request.POST.get("revision")))
    except services.StaleVersion as stale:
        return _stale(request, patient, stale)
    except ValidationError as error:
        context = _plan_context(request, patient, plan)
        context["sign_errors"] = [m for messages_ in error.message_dict.values() for m in messages_]
        return render(request, "treatment/plan.html", context, status=400)
    messages.success(request, f"Plan version {plan.version} signed. It is never edited now; amend with a new version.")
    return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)


@require_POST
def plan_acknowledge(request, pk, plan_id):
    patient, plan = _plan_of(request, pk, plan_id)
    require(request.user, patient.program_id, PLAN_WRITE)
    form = forms.AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge_plan(acting_user=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "The patient's acknowledgement is recorded.")
            return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
    return render(
        request,
        "treatment/plan.html",
        _plan_context(request, patient, plan, bound={"acknowledge_form": form}),
        status=400,
    )


@require_POST
def plan_amend(request, pk, plan_id):
    patient, plan = _plan_of(request, pk, plan_id)
    require(request.user, patient.program_id, PLAN_WRITE)
    form = forms.AmendForm(request.POST)
    if form.is_valid():
        try:
            draft = services.amend_plan(acting_user=request.user, plan=plan, **form.cleaned_data)
        except services.StaleVersion as stale:
            return _stale(request, patient, stale)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Version {draft.version} started as a draft; version {plan.version} stays in "
                "force until it is signed.",
            )
            return redirect("treatment:plan-version", pk=patient.pk, plan_id=draft.pk)
    return render(
        request, "treatment/plan.html", _plan_context(request, patient, plan, bound={"amend_form": form}), status=400
    )


@require_POST
def plan_review(request, pk, plan_id):
    patient, plan = _plan_of(request, pk, plan_id)
    require(request.user, patient.program_id, PLAN_WRITE)
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_plan(acting_user=request.user, plan=plan, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Review recorded; the plan continues unchanged.")
            return redirect("treatment:plan-version", pk=patient.pk, plan_id=plan.pk)
    return render(
        request, "treatment/plan.html", _plan_context(request, patient, plan, bound={"review_form": form}), status=400
    )


@require_POST
def plan_save_template(request, pk, plan_id):
    patient, plan = _plan_of(request, pk, plan_id)
    require(request.user, patient.program_id, TREATMENT_CONFIGURE)
    form = forms.TemplateFromPlanForm(request.POST, program=patient.program)
    if form.is_valid():
        try:
            template = services.template_from_plan(acting_user=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Saved as the program template {template.name}.")
            return redirect("treatment:templates")
    return render(
        request, "treatment/plan.html", _plan_context(request, patient, plan, bound={"template_form": form}), status=400
    )


# --- program pages: review work list, templates, modalities -----------------------------------------------


@require_GET
def due_page(request):
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    rows = due_for(program, visible_patients(request.user, program))
    record_read(request.user, "plan.due.list", program=program, detail={"count": len(rows)})
    return render(request, "treatment/due.html", {"program": program, "rows": rows})


@require_GET
def templates_page(request):
    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    templates = PlanTemplate.objects.filter(program=program, active=True).select_related("created_by")
    return render(
        request,
        "treatment/templates.html",
        {"program": program, "templates": [(t, _template_problems(t)) for t in templates]},
    )


def _template_problems(template):
    return [
        {**p, "diagnosis_label": diagnosis_label(p["diagnosis"]) if p.get("diagnosis") else ""}
        for p in template.body.get("problems", [])
    ]


@require_http_methods(["GET", "POST"])
def modalities_page(request):
    program = program_or_403(request)
    require(request.user, program.pk, CENSUS_READ)
    can_configure = has_permission(request.user, program.pk, TREATMENT_CONFIGURE)
    form = forms.ModalityForm(request.POST or None)
    current = modalities(program)
    if request.method == "POST":
        require(request.user, program.pk, TREATMENT_CONFIGURE)
        remove = request.POST.get("remove")
        try:
            if remove:
                program_settings.change(
                    program, MODALITIES.key, [m for m in current if m["code"] != remove], acting_user=request.user
                )
                messages.success(request, "Modality removed from the list; plans and sessions keep its label.")
                return redirect("treatment:modalities")
            if form.is_valid():
                data = form.cleaned_data
                if any(m["code"] == data["code"] for m in current):
                    form.add_error("code", "This code is already on the list.")
                else:
                    program_settings.change(program, MODALITIES.key, [*current, data], acting_user=request.user)
                    messages.success(request, f"Modality {data['label']} added.")
                    return redirect("treatment:modalities")
        except ValidationError as error:
            form.add_error(None, error.messages)
    return render(
        request,
        "treatment/modalities.html",
        {
            "program": program,
            "modalities": [(m, CATEGORY_LABELS[m["category"]]) for m in current],
            "form": form,
            "can_configure": can_configure,
            "setting": MODALITIES,
            "customised": MODALITIES.key in program_settings.values_for(program),
        },
        status=400 if form.errors else 200,
    )


# --- sessions ---------------------------------------------------------------------------------------------


def _session(request, session_id) -> Session:
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    return access_session(request.user, session_id, program)


@require_http_methods(["GET", "POST"])
def session_new(request):
    program = program_or_403(request)
    require(request.user, program.pk, SESSION_WRITE)
    staff = services.session_staff(program)
    ended = _now_local()  # a session is usually documented just after it happened: the hour that just ended
    form = forms.SessionForm(
        request.POST or None,
        program=program,
        staff=staff,
        initial={
            "kind": "group",
            "facilitator": request.user.pk,
            "starts_at": ended - timedelta(hours=1),
            "ends_at": ended,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = None
        mrn = data.pop("patient_mrn").strip()
        if mrn:
            patient = visible_patients(request.user, program).filter(mrn=mrn).first()
            if patient is None:
                form.add_error("patient_mrn", "No patient with this MRN that you can see in this program.")
        if not form.errors:
            try:
                facilitator = get_user_model().objects.filter(pk=data.pop("facilitator")).first()
                session = services.schedule_session(
                    acting_user=request.user, program=program, patient=patient, facilitator=facilitator, **data
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Session scheduled.")
                return redirect("treatment:session", session_id=session.pk)
    return render(
        request, "treatment/session_new.html", {"form": form, "program": program}, status=400 if form.errors else 200
    )


def _session_context(request, session, roster_form=None, note_errors=None, attendance_errors=None):
    """The session as services.session_as_seen_by gives it, with what was just typed (attendance, parts) kept."""
    seen = services.session_as_seen_by(request.user, session)
    for row in seen["rows"]:
        pk, mark = row["patient"].pk, row["mark"]
        row["chosen"] = request.POST.get(f"status_{pk}") or (mark.status if mark else "")
        row["draft"] = request.POST.get(f"entry_{pk}", "")
    return {
        "session": session,
        **seen,
        "roster_form": roster_form or forms.RosterForm(),
        "note_errors": note_errors or {},
        "attendance_errors": attendance_errors or [],
        "started": session.has_started(),
        "can_write": has_permission(request.user, session.program_id, SESSION_WRITE),
        "statuses": Attendance.Status.choices,
    }


@require_GET
def session_detail(request, session_id):
    session = _session(request, session_id)
    context = _session_context(request, session)
    record_read(
        request.user, "session.read", program=session.program, obj=session, detail={"patients": len(context["rows"])}
    )
    return render(request, "treatment/session.html", context)


@require_POST
def session_roster(request, session_id):
    """Add a patient found by name or MRN among those the user may see; several matches: the user picks one."""
    session = _session(request, session_id)
    require(request.user, session.program_id, SESSION_WRITE)
    visible = visible_patients(request.user, session.program)
    form = forms.RosterForm(request.POST)
    matches = []
    if request.POST.get("patient_id"):
        patient = visible.filter(pk=_int(request.POST["patient_id"])).first()
        form = forms.RosterForm({"patient": patient.mrn if patient else ""})
        form.is_valid()
        matches = [patient] if patient else []
    elif form.is_valid():
        matches = list(search(visible, form.cleaned_data["patient"]).order_by("family_name", "given_name")[:20])
    if len(matches) == 1:
        try:
            services.add_to_roster(acting_user=request.user, session=session, patient=matches[0])
        except ValidationError as error:
            form.add_error("patient", error.messages)
        else:
            messages.success(request, f"{matches[0].display_name} added to the roster.")
            return redirect("treatment:session", session_id=session.pk)
    elif form.is_valid() and not matches:
        form.add_error("patient", "No patient you can see in this program matches this name or MRN.")
    context = _session_context(request, session, roster_form=form)
    context["matches"] = matches if len(matches) > 1 else []
    return render(request, "treatment/session.html", context, status=200 if len(matches) > 1 else 400)


@require_POST
def session_attendance(request, session_id):
    """The whole group's attendance in one save: each row's mark (rows left blank are not marked)."""
    session = _session(request, session_id)
    require(request.user, session.program_id, SESSION_WRITE)
    rostered = {
        p.pk: p for p in visible_patients(request.user, session.program).filter(session_roster__session=session)
    }
    posted = {_int(k.removeprefix("status_")): v for k, v in request.POST.items() if k.startswith("status_") and v}
    errors = []
    if set(posted) - set(rostered):
        errors = ["A mark was sent for a patient who is not on this roster or whom you may not see."]
    elif not posted:
        errors = ["Choose the attendance of at least one patient."]
    else:
        marks = {rostered[pk]: status for pk, status in posted.items()}
        try:
            recorded = services.mark_group_attendance(acting_user=request.user, session=session, marks=marks)
        except ValidationError as error:
            errors = [m for messages_ in error.message_dict.values() for m in messages_]
    if errors:
        context = _session_context(request, session, attendance_errors=errors)
        return render(request, "treatment/session.html", context, status=400)
    messages.success(request, f"Attendance saved for {len(recorded)} patient{'s' if len(recorded) != 1 else ''}.")
    return redirect("treatment:session", session_id=session.pk)


@require_POST
def session_note(request, session_id):
    session = _session(request, session_id)
    require(request.user, session.program_id, SESSION_WRITE)
    visible = set(visible_patients(request.user, session.program).values_list("pk", flat=True))
    entries = {}
    for key, value in request.POST.items():
        if key.startswith("entry_"):
            patient_id = _int(key.removeprefix("entry_"))
            if patient_id in visible:
                entries[patient_id] = value
    try:
        services.write_group_note(
            acting_user=request.user, session=session, body=request.POST.get("body", ""), entries=entries
        )
    except ValidationError as error:
        return render(
            request,
            "treatment/session.html",
            _session_context(request, session, note_errors={k: " ".join(v) for k, v in error.message_dict.items()}),
            status=400,
        )
    messages.success(request, "Group note saved; each attendee's part is in their chart.")
    return redirect("treatment:session", session_id=session.pk)


# --- schedules --------------------------------------------------------------------------------------------


def _week(request) -> date:
    raw = request.GET.get("week", "")
    try:
        day = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return day - timedelta(days=day.weekday())


def _days(monday: date, sessions) -> list[dict]:
    days: list[dict[str, Any]] = [{"date": monday + timedelta(days=n), "sessions": []} for n in range(7)]
    for session in sessions:
        index = (timezone.localtime(session.starts_at).date() - monday).days
        if 0 <= index < 7:
            days[index]["sessions"].append(session)
    return days


def _week_bounds(monday: date):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(monday, time.min), tz)
    return start, timezone.make_aware(datetime.combine(monday + timedelta(days=7), time.min), tz)


@require_GET
def program_schedule(request):
    program = program_or_403(request)
    require(request.user, program.pk, CHART_READ)
    monday = _week(request)
    start, end = _week_bounds(monday)
    sessions = services.mark_busy(
        request.user,
        program,
        list(
            Session.objects.filter(program=program, starts_at__gte=start, starts_at__lt=end)
            .select_related("facilitator")
            .prefetch_related("roster")
        ),
    )
    return render(
        request,
        "treatment/schedule.html",
        {
            "title": f"Weekly schedule · {program.name}",
            "days": _days(monday, sessions),
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "patient": None,
            "can_schedule": has_permission(request.user, program.pk, SESSION_WRITE),
        },
    )


@require_GET
def patient_schedule(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    monday = _week(request)
    start, end = _week_bounds(monday)
    sessions = list(
        Session.objects.filter(roster__patient=patient, starts_at__gte=start, starts_at__lt=end).select_related(
            "facilitator"
        )
    )
    marks = {m.session_id: m for m in Attendance.objects.filter(patient=patient, session__in=sessions)}
    for session in sessions:
        session.mark = marks.get(session.pk)
    record_read(request.user, "session.patient_schedule.read", patient=patient, detail={"week": monday.isoformat()})
    return render(
        request,
        "treatment/schedule.html",
        {
            "title": f"Weekly schedule · {patient.display_name}",
            "days": _days(monday, sessions),
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "patient": patient,
            "can_schedule": False,
        },
    )


# --- notes ------------------------------------------------------------------------------------------------


def _progress_form(patient, data=None):
    episode = patient.episodes.filter(discharged_at__isnull=True).first()
    plan = services.plan_in_force(episode) if episode else None
    sessions = [
        (s.pk, f"{timezone.localtime(s.starts_at):%Y-%m-%d %H:%M} {s.get_kind_display()}: {s.topic}")
        for s in Session.objects.filter(roster__patient=patient).order_by("-starts_at")[:30]
    ]
    return forms.ProgressNoteForm(
        data, sessions=sessions, objectives=plan.objectives() if plan else [], initial={"occurred_at": _now_local()}
    ), plan


@require_http_methods(["GET", "POST"])
def notes_page(request, pk):
    """Progress notes (linked to the plan's objectives) and the group-note parts written for this patient."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    form, plan = _progress_form(patient, request.POST or None)
    if request.method == "POST":
        require(request.user, patient.program_id, PLAN_WRITE)
        if form.is_valid():
            data = form.cleaned_data
            session = (
                Session.objects.filter(pk=data["session"], program_id=patient.program_id).first()
                if data["session"]
                else None
            )
            try:
                services.write_progress_note(
                    acting_user=request.user,
                    patient=patient,
                    body=data["body"],
                    occurred_at=data["occurred_at"],
                    session=session,
                    objective_updates=form.objective_updates(),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Progress note saved.")
                return redirect("treatment:notes", pk=patient.pk)
    notes = list(ProgressNote.objects.filter(patient=patient).select_related("written_by", "session")[:100])
    labels = {o["id"]: o["text"] for p in TreatmentPlan.objects.filter(patient=patient) for o in p.objectives()}
    for note in notes:
        note.updates = [
            {
                **u,
                "text": labels.get(u["objective"], u["objective"]),
                "label": dict(forms.OBJECTIVE_STATUSES)[u["status"]],
            }
            for u in note.objective_updates
        ]
    from .models import GroupNoteEntry

    group_parts = (
        GroupNoteEntry.objects.filter(patient=patient)
        .select_related("note__session", "note__written_by")
        .order_by("-note__session__starts_at")[:50]
    )
    record_read(request.user, "note.progress.list", patient=patient, detail={"count": len(notes)})
    return render(
        request,
        "treatment/notes.html",
        {
            "patient": patient,
            "form": form,
            "plan": plan,
            "notes": notes,
            "group_parts": group_parts,
            "can_write": has_permission(request.user, patient.program_id, PLAN_WRITE),
            "can_counsel": services.may_keep_counseling_notes(request.user, patient),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def counseling_notes_page(request, pk):
    """SUD counseling notes: apart from the chart; their author and care-team counselors only."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, CHART_READ)
    services.require_counseling_access(request.user, patient)
    form = forms.CounselingNoteForm(request.POST or None, initial={"occurred_at": _now_local()})
    if request.method == "POST":
        require(request.user, patient.program_id, COUNSELING_NOTE_WRITE)
        if form.is_valid():
            try:
                services.write_counseling_note(acting_user=request.user, patient=patient, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Counseling note saved (kept apart from the chart).")
                return redirect("treatment:counseling-notes", pk=patient.pk)
    notes = list(services.readable_counseling_notes(request.user, patient).select_related("written_by")[:100])
    record_read(request.user, "note.counseling.list", patient=patient, detail={"count": len(notes)})
    return render(
        request,
        "treatment/counseling_notes.html",
        {
            "patient": patient,
            "form": form,
            "notes": notes,
            "can_write": has_permission(request.user, patient.program_id, COUNSELING_NOTE_WRITE),
        },
        status=400 if form.errors else 200,
    )
