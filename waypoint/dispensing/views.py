"""The dosing window's pages: the queue, the dose, holds, take-home labels, the ledger and the blind count."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.accounts.roles import MOUD_ADMINISTER, MOUD_ORDER, STOCK_SIGN_OFF
from waypoint.patients.access import access_patient, access_record, has_permission, require, visible_patients
from waypoint.patients.services import record_read
from waypoint.patients.views import add_errors, program_or_403, save_and_redirect
from waypoint.records.replica import reads_from_replica
from waypoint.web.query import query_parameters

from . import queue_html, services
from .forms import CountForm, DoseForm, HoldForm, LiftForm
from .labels import bottle_qr_svg
from .models import Hold, LedgerEntry, StockCount, StockLot, TakeHomeBottle
from .settings import pump_for
from .signers import second_user

QUEUE_PAGE_SIZE = 50


@require_GET
@query_parameters("q", "show", "page")
def queue_page(request):
    """The nurse's queue: the patients still to dose today (due, a split dose's next part, on hold), a page at a
    time in name order; those dosed or with a take-home dose today folded into a count, listed with `show=done`
    (everyone: `show=all`, and every match of a search). The search runs in the database."""
    from django.core.paginator import Paginator

    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    search = request.GET.get("q", "")
    show = request.GET.get("show") if request.GET.get("show") in ("done", "all") else "due"
    if search and show == "due":
        show = "all"  # a search finds the patient whether still to dose or not (the row says which)
    visible = visible_patients(request.user, program)
    try:
        found = services.queue_entries(visible, program, search=search)
    except ValidationError as error:
        found, search_error = services.Queue([]), " ".join(error.message_dict.get("q", error.messages))
        services.audit_refusal(request.user, "dispensing.queue.read", {"q": search_error}, program=program)
    else:
        search_error = ""
    shown = found.entries if show == "all" else [e for e in found.entries if e.done == (show == "done")]
    page = Paginator(shown, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = services.queue_rows(visible, list(page.object_list))
    if not search_error:  # a refused search read nothing (its refusal is audited above)
        record_read(request.user, "dispensing.queue.read", program=program, detail={"count": len(rows)})
    can_order = has_permission(request.user, program.pk, MOUD_ORDER)
    return render(
        request,
        "dispensing/queue.html",
        {
            "rows": rows,
            "rows_html": queue_html.rows_html(rows, can_order=can_order),
            "page": page,
            "show": show,
            "queue": found,
            "total": len(found.entries),
            "search": search[:200],
            "search_error": search_error,
            "today": program.today(),
        },
        status=400 if search_error else 200,
    )


@require_http_methods(["GET", "POST"])
def dose(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    order = services.dosing_orders([patient.pk], timezone.now()).get(patient.pk)
    initial = {"amount": order.dose} if order else {}
    form = DoseForm(request.POST or None, program=patient.program, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.dispense(
                acting_user=request.user,
                patient=patient,
                amount=form.cleaned_data["amount"],
                lot=form.cleaned_data["lot"],
                pump=pump_for(patient.program),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Dosed: {patient}, {record.label}.{' ' + record.note if record.note else ''}")
            return redirect("dispensing:queue")
    else:
        record_read(request.user, "dispensing.dose.read", patient=patient)
    errors, _ = services.check_dose(patient, order.dose if order else None, timezone.now(), None)
    errors.pop("lot", None)
    holds = services.active_holds([patient.pk]).get(patient.pk, [])
    return render(
        request,
        "dispensing/dose.html",
        {
            "patient": patient,
            "order": order,
            "form": form,
            "holds": holds,
            "blocked": errors,
            "can_lift": True,
            "can_order": has_permission(request.user, patient.program_id, MOUD_ORDER),
            "guest": services.guests_for([order.pk]).get(order.pk) if order else None,
            "photo": services.current_photo(patient),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def hold_new(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = HoldForm(request.POST or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.set_hold(acting_user=request.user, patient=patient, **data),
        success=f"Hold set on {patient}'s doses.",
        then=reverse("dispensing:dose", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {"patient": patient, "form": form, "title": "Hold doses", "button": "Set the hold"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def hold_lift(request, pk, hold_id):
    patient = access_patient(request.user, pk)
    hold = access_record(patient, Hold, hold_id)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = LiftForm(request.POST or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.lift_hold(acting_user=request.user, hold=hold, note=data["note"]),
        success="Hold lifted.",
        then=reverse("dispensing:dose", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {"patient": patient, "form": form, "hold": hold, "title": f"Lift the hold: {hold}", "button": "Lift the hold"},
        status=400 if form.errors else 200,
    )


@require_GET
def labels(request, pk):
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    bottles = list(
        TakeHomeBottle.objects.filter(patient=patient, returned_at__isnull=True)
        .select_related("order", "lot")
        .order_by("take_on", "id")
    )
    record_read(request.user, "dispensing.labels.read", patient=patient)
    # The QR code is SVG that segno draws from the bottle id (letters and digits the model makes; segno escapes the
    # title): no user text reaches it unescaped.
    labelled = [(bottle, mark_safe(bottle_qr_svg(bottle.code))) for bottle in bottles]  # noqa: S308  # nosec: B308, B703
    return render(
        request, "dispensing/labels.html", {"patient": patient, "bottles": labelled, "program": patient.program}
    )


def ledger_reader_or_403(request):
    """The program, for the readers of the ledger and the dosing reports: dispensing staff, or the director who signs
    counts off and oversees the dosing window (the daily report, the missed doses)."""
    program = program_or_403(request)
    if not services.may_read_ledger(request.user, program.pk):
        require(request.user, program.pk, MOUD_ADMINISTER)  # raises, naming the permission
    return program


@require_GET
def ledger(request):
    """Balances only to those who never count (services.sees_balances): a counter sees none, ever."""
    program = ledger_reader_or_403(request)
    can_sign_off = has_permission(request.user, program.pk, STOCK_SIGN_OFF)
    lots = list(StockLot.objects.filter(program=program))
    entries = list(
        LedgerEntry.objects.filter(program=program).select_related("lot", "by", "witness").order_by("-at", "-id")[:200]
    )
    counts = list(StockCount.objects.filter(program=program).select_related("lot", "counted_by", "second_counter")[:50])
    return render(
        request,
        "dispensing/ledger.html",
        {
            "lots": [(lot, services.shown_balance(request.user, lot)) for lot in lots],
            "entries": entries,
            "counts": counts,
            "can_sign_off": can_sign_off,
            "can_investigate": has_permission(request.user, program.pk, MOUD_ADMINISTER),
        },
    )


@require_http_methods(["GET", "POST"])
def count(request):
    """The blind count: the page never shows the expected balance before the count is recorded."""
    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    form = CountForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            second = second_user(
                request,
                data["second_username"],  # required by the form
                data["second_password"],
                acting_user=request.user,
                action="dispensing.count",
                field="second_password",
                who="second counter",
                program=program,
                obj=data["lot"],
            )
            result = services.record_count(
                acting_user=request.user,
                lot=data["lot"],
                counted_mg=data["counted_mg"],
                second_counter=second,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if result.discrepancy_mg:
                messages.warning(
                    request,
                    f"Count recorded with a discrepancy of {result.discrepancy_mg} mg "
                    f"(expected {result.expected_mg} mg): write its investigation note below, then it awaits "
                    "the director's sign-off.",
                )
            else:
                messages.success(request, "Count recorded: it matches the ledger.")
            return redirect("dispensing:ledger")
    return render(request, "dispensing/count.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def take_homes(request, pk):
    """The patient's take-home doses: the signed decision (prescribers sign a new one), bottles out and returned,
    and issuing the next days' bottles."""
    from datetime import timedelta

    from waypoint.patients.access import has_permission

    from .forms import DecisionForm, IssueForm
    from .models import TakeHomeDecision

    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    can_sign = has_permission(request.user, patient.program_id, MOUD_ORDER)
    decision_form = DecisionForm(
        request.POST if request.POST.get("action") == "decide" else None, criteria=services.CRITERIA
    )
    issue_form = IssueForm(request.POST if request.POST.get("action") == "issue" else None, program=patient.program)
    if done := save_and_redirect(  # each form is bound only when the POST is its action
        request,
        decision_form,
        lambda data: services.sign_take_home_decision(
            acting_user=request.user,
            patient=patient,
            days=data["days"],
            basis=data["basis"],
            criteria={key: data[key] == "yes" for key in services.CRITERIA},
        ),
        success="Take-home decision signed.",
        then=reverse("dispensing:take-homes", args=[patient.pk]),
    ):
        return done

    def issue_bottles(data):
        today = services.program_day(patient.program, timezone.now())
        days = [today + timedelta(days=n) for n in range(1, data["days"] + 1)]
        return services.issue_bottles(acting_user=request.user, patient=patient, days=days, lot=data["lot"])

    if done := save_and_redirect(
        request,
        issue_form,
        issue_bottles,
        success=lambda bottles: f"{len(bottles)} take-home bottles issued: print their labels.",
        then=reverse("dispensing:labels", args=[patient.pk]),
    ):
        return done
    decision = TakeHomeDecision.objects.filter(patient=patient).select_related("signed_by").first()
    bottles = list(TakeHomeBottle.objects.filter(patient=patient).select_related("order").order_by("-take_on")[:60])
    record_read(request.user, "dispensing.take_homes.read", patient=patient)
    return render(
        request,
        "dispensing/take_homes.html",
        {
            "patient": patient,
            "decision": decision,
            "bottles": bottles,
            "can_sign": can_sign,
            "decision_form": decision_form,
            "issue_form": issue_form,
            "criteria": services.CRITERIA,
            "education": patient.safe_storage_educations.select_related("given_by").first(),
        },
        status=400 if decision_form.errors or issue_form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def bottle_return(request, pk, bottle_id):
    from .forms import ReturnForm

    patient = access_patient(request.user, pk)
    bottle = access_record(patient, TakeHomeBottle, bottle_id)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = ReturnForm(request.POST or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.return_bottle(
            acting_user=request.user, bottle=bottle, empty=data["empty"] == "yes", note=data["note"]
        ),
        success=f"Bottle {bottle.code} checked in.",
        then=reverse("dispensing:take-homes", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {"patient": patient, "form": form, "title": f"Check in bottle {bottle.code}", "button": "Check in"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def bottle_scan(request):
    """Check in a returned bottle from its scanned id (the label's QR code), whoever's it is."""
    from .forms import ScanReturnForm

    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    form = ScanReturnForm(request.POST or None)

    def check_in(data):
        bottle = services.find_bottle(
            acting_user=request.user,
            patients=visible_patients(request.user, program),
            program=program,
            code=data["code"],
        )
        services.return_bottle(acting_user=request.user, bottle=bottle, empty=data["empty"] == "yes", note=data["note"])
        return bottle

    if done := save_and_redirect(
        request,
        form,
        check_in,
        success=lambda bottle: f"Bottle {bottle.code} of {bottle.patient} checked in.",
        then="dispensing:bottle-scan",
        field_of=lambda key: "code" if key == "bottle" else key,
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {"form": form, "title": "Check in a returned bottle", "button": "Check in"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def ledger_entry(request):
    """A receipt of stock, or an outflow other than a dose (waste and spills witnessed by a second user, who
    signs with their password)."""
    from .forms import OutflowForm, ReceiptForm

    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    action = request.POST.get("action")
    receipt = ReceiptForm(request.POST if action == "receipt" else None, prefix="in")
    outflow = OutflowForm(request.POST if action == "outflow" else None, program=program, prefix="out")
    if done := save_and_redirect(  # each form is bound only when the POST is its action
        request,
        receipt,
        lambda data: services.receive_stock(
            acting_user=request.user,
            program=program,
            medication_code=data["medication"],
            strength=data["strength"],
            lot_number=data["lot_number"],
            quantity_mg=data["quantity_mg"],
        ),
        success="Receipt recorded.",
        then="dispensing:ledger",
    ):
        return done

    def record_outflow(data):
        witness = second_user(
            request,
            data["witness_username"],
            data["witness_password"],
            acting_user=request.user,
            action="dispensing.ledger.outflow",
            field="witness_password",
            who="witness",
            program=program,
            obj=data["lot"],
        )
        services.record_outflow(
            acting_user=request.user,
            lot=data["lot"],
            kind=data["kind"],
            quantity_mg=data["quantity_mg"],
            witness=witness,
            note=data["note"],
        )

    if done := save_and_redirect(
        request, outflow, record_outflow, success="Recorded in the ledger.", then="dispensing:ledger"
    ):
        return done
    return render(
        request,
        "dispensing/ledger_entry.html",
        {"receipt": receipt, "outflow": outflow},
        status=400 if receipt.errors or outflow.errors else 200,
    )


@require_POST
def count_investigation(request, count_id):
    """The investigation note of a count's discrepancy, written once after the count is recorded."""
    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    found = get_object_or_404(StockCount, pk=count_id, program=program)
    try:
        services.write_investigation_note(
            acting_user=request.user, count=found, note=request.POST.get("investigation_note", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Investigation note of the count of lot {found.lot.lot_number} written.")
    return redirect("dispensing:ledger")


@require_POST
def count_sign_off(request, count_id):
    """The director signs off a count's discrepancy (after reading its investigation note)."""
    program = program_or_403(request)
    require(request.user, program.pk, STOCK_SIGN_OFF)
    found = get_object_or_404(StockCount, pk=count_id, program=program)
    try:
        services.sign_off_count(acting_user=request.user, count=found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Count of lot {found.lot.lot_number} signed off.")
    return redirect("dispensing:ledger")


@require_http_methods(["GET", "POST"])
def guest_new(request, pk):
    """A prescriber accepts a guest patient from another OTP, with the sending program's order and dates."""
    from .forms import GuestForm

    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ORDER)
    form = GuestForm(request.POST or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.accept_guest(
            acting_user=request.user,
            patient=patient,
            sending_program=data["sending_program"],
            sending_contact=data["sending_contact"],
            medication_code=data["medication"],
            dose=data["dose"],
            last_dose_on=data["last_dose_on"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            note=data["note"],
        ),
        success=f"{patient} is dosed here as a guest.",
        then=reverse("dispensing:dose", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {"patient": patient, "form": form, "title": "Guest dosing from another program", "button": "Accept the guest"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def replacement_new(request, pk):
    """A dose replacing a spilled dose or a lost take-home bottle (a second signer signs with their password where
    the program requires one)."""
    from .forms import ReplacementForm

    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = ReplacementForm(request.POST or None, patient=patient)

    def give_replacement(data):
        second = second_user(
            request,
            data["second_username"],
            data["second_password"],
            acting_user=request.user,
            action="dispensing.replacement",
            field="second_password",
            who="second signer",
            patient=patient,
        )
        services.replace_dose(
            acting_user=request.user,
            patient=patient,
            reason=data["reason"],
            note=data["note"],
            amount=data["amount"],
            lot=data["lot"],
            bottle=data["bottle"],
            second_signer=second,
        )

    if done := save_and_redirect(
        request, form, give_replacement, success=f"Replacement dose given: {patient}.", then="dispensing:queue"
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {"patient": patient, "form": form, "title": "Replacement dose", "button": "Give the replacement dose"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def calendar(request):
    """The program calendar: Sundays (a program setting), holidays and closures ahead; the closed-day take-home
    bottles for every patient, within each one's signed decision, with those refused listed by reason."""
    from datetime import timedelta

    from .forms import ClosedDayBottlesForm, ClosedDayForm
    from .settings import CLOSED_ON_SUNDAYS

    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    action = request.POST.get("action")
    form = ClosedDayForm(request.POST if action == "add" else None)
    bottles_form = ClosedDayBottlesForm(request.POST if action == "bottles" else None, program=program)
    refused: dict = {}
    issued: dict = {}
    if done := save_and_redirect(  # bound only when the POST adds a closed day
        request,
        form,
        lambda data: services.add_closed_day(acting_user=request.user, program=program, **data),
        success="Closed day added to the calendar.",
        then="dispensing:calendar",
    ):
        return done
    if action == "bottles" and bottles_form.is_valid():
        issued, refused = services.closed_day_bottles(
            acting_user=request.user,
            program=program,
            lots=bottles_form.cleaned_data["lots"],
            patients=visible_patients(request.user, program),
        )
    today = program.today()
    return render(
        request,
        "dispensing/calendar.html",
        {
            "form": form,
            "bottles_form": bottles_form,
            "closed": services.closed_days(program, today, today + timedelta(days=60)),
            "run": services.next_closed_run(program, today),
            "sundays": CLOSED_ON_SUNDAYS.get(program),
            "issued": issued,
            "refused": refused,
            "posted": action == "bottles",
        },
        status=400 if form.errors or bottles_form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def call_backs(request):
    """Random call-backs: draw patients with bottles out, and the call-backs waiting for their result."""
    from .forms import RandomCallBackForm
    from .models import CallBack

    program = program_or_403(request)
    require(request.user, program.pk, MOUD_ADMINISTER)
    form = RandomCallBackForm(request.POST or None, initial={"due_on": program.today(), "count": 1})
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.schedule_random_call_backs(
            acting_user=request.user,
            program=program,
            patients=visible_patients(request.user, program),
            due_on=data["due_on"],
            count=data["count"],
        ),
        success=lambda made: f"{len(made)} patients called back: " + ", ".join(str(c.patient) for c in made),
        then="dispensing:call-backs",
    ):
        return done
    visible = visible_patients(request.user, program)
    rows = list(
        CallBack.objects.filter(program=program, patient__in=visible).select_related("patient", "recorded_by")[:100]
    )
    record_read(request.user, "dispensing.call_backs.read", program=program, detail={"count": len(rows)})
    return render(
        request, "dispensing/call_backs.html", {"form": form, "rows": rows}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def call_back_record(request, pk, call_back_id):
    from .forms import CallBackResultForm
    from .models import CallBack

    patient = access_patient(request.user, pk)
    found = access_record(patient, CallBack, call_back_id)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = CallBackResultForm(request.POST or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.record_call_back(
            acting_user=request.user, call_back=found, brought_back=data["brought_back"] == "yes", note=data["note"]
        ),
        success=f"Call-back of {patient} recorded.",
        then="dispensing:call-backs",
    ):
        return done
    return render(
        request,
        "dispensing/form.html",
        {
            "patient": patient,
            "form": form,
            "title": f"{found}: bottles {', '.join(found.bottles_out)}",
            "button": "Record",
        },
        status=400 if form.errors else 200,
    )


@require_POST
def safe_storage(request, pk):
    """Safe-storage education given (before the first take-home bottle)."""
    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    services.record_safe_storage(acting_user=request.user, patient=patient, note=request.POST.get("note", "")[:1000])
    messages.success(request, "Safe-storage education recorded.")
    return redirect("dispensing:take-homes", pk=patient.pk)


REPORTS = {"daily": "Daily dosing", "missed": "Missed doses", "ledger": "Ledger by drug and lot"}


@require_GET
@query_parameters("report", "day", "format")
@reads_from_replica
def reports(request):
    """The dosing reports as pages and CSV: daily dosing (a day), missed doses, the ledger by drug and lot."""
    from datetime import date

    from django.http import HttpResponse

    from waypoint.web.downloads import attachment, csv_writer

    from . import reports as built
    from .models import LedgerEntry

    program = ledger_reader_or_403(request)  # the director who oversees dispensing reads every report too
    report = request.GET.get("report", "daily")
    if report not in REPORTS:
        report = "daily"
    today = program.today()
    try:
        day = date.fromisoformat(request.GET.get("day", "") or today.isoformat())
    except ValueError:
        refusal = {"day": "Give a date as YYYY-MM-DD."}
        services.audit_refusal(request.user, f"dispensing.report.{report}", refusal, program=program)
        return HttpResponse("day: give a date as YYYY-MM-DD.", status=400, content_type="text/plain; charset=utf-8")
    visible = visible_patients(request.user, program)
    kinds = LedgerEntry.Kind.choices
    header: list[str] = []
    lines: list[list] = []
    context: dict = {"report": report, "reports": REPORTS, "day": day, "kinds": kinds}
    if report == "daily":
        rows = built.daily(program, visible, day)
        context |= {"rows": rows, "totals": built.totals(rows)}
        header = ["MRN", "patient", "order", "status", "given mg", "detail"]
        lines = [[r.patient.mrn, str(r.patient), r.order.label, r.status, r.given_mg, r.detail] for r in rows]
    elif report == "missed":
        missed = built.missed(program, visible)
        context |= {"missed": missed}
        header = ["MRN", "patient", "order", "consecutive days missed", "last dose"]
        lines = [[r.patient.mrn, str(r.patient), r.order.label, r.days, r.last_dose or ""] for r in missed]
    else:
        # Blind counts: the sums by movement add up to the balance, so one who counts sees the lots only.
        sees = services.sees_balances(request.user, program.pk)
        if not sees:
            kinds = []
        lots = built.ledger_by_lot(program)
        context |= {"lots": lots, "kinds": kinds, "sees_balances": sees}
        header = ["medication", "strength", "lot", *[words for _, words in kinds], *(["balance mg"] if sees else [])]
        lines = [
            [line.lot.get_medication_display(), line.lot.strength, line.lot.lot_number]
            + [line.by_kind[k] for k, _ in kinds]
            + ([line.balance] if sees else [])
            for line in lots
        ]
    record_read(request.user, f"dispensing.report.{report}", program=program, detail={"rows": len(lines)})
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = attachment("dosing", report, program.slug, day, extension="csv")
        writer = csv_writer(response)
        writer.writerow(header)
        for line in lines:
            writer.writerow(line)
        return response
    return render(request, "dispensing/reports.html", context)


@require_GET
def inventory(request):
    """The inventory of every lot, printable (the biennial inventory): the derived balance of each lot now, its
    last count, and the lines the people taking the inventory fill in and sign."""
    from . import reports as built

    program = ledger_reader_or_403(request)
    lots = built.ledger_by_lot(program)
    sees = services.sees_balances(request.user, program.pk)  # those who count fill in the count, blind
    return render(
        request,
        "dispensing/inventory.html",
        {"lots": lots, "program": program, "now": timezone.now(), "sees_balances": sees},
    )


@require_http_methods(["GET", "POST"])
def photo_new(request, pk):
    """Take the patient's photo (at intake; again when it no longer looks like them)."""
    from .forms import PhotoForm

    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if done := save_and_redirect(
        request,
        form,
        lambda data: services.record_photo(
            acting_user=request.user, patient=patient, data=data["photo"].read(services.PHOTO_MAX_BYTES + 1)
        ),
        success=f"Photo of {patient} saved.",
        then=reverse("dispensing:dose", args=[patient.pk]),
    ):
        return done
    return render(
        request,
        "dispensing/photo_form.html",
        {"patient": patient, "form": form},
        status=400 if form.errors else 200,
    )


def _photo(request, pk, photo_id, small: bool):
    """A photo, only to staff who may dispense; every read audited. Another program's or patient's is 404."""
    from django.http import HttpResponse

    from .models import PatientPhoto
    from .photos import SMALL_TYPE

    patient = access_patient(request.user, pk)
    require(request.user, patient.program_id, MOUD_ADMINISTER)
    found = access_record(patient, PatientPhoto.objects.defer("image" if small else "small"), photo_id)
    record_read(
        request.user,
        "dispensing.photo.read",
        patient=patient,
        detail={"photo": found.pk, **({"copy": "small"} if small else {})},
    )
    if small and found.small:
        response = HttpResponse(bytes(found.small), content_type=SMALL_TYPE)
    else:  # the full photo (and for a photo kept from before the small copies, whose image did not decode)
        response = HttpResponse(bytes(found.image), content_type=found.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def photo(request, pk, photo_id):
    """The photo itself (the dose page)."""
    return _photo(request, pk, photo_id, small=False)


@require_GET
def photo_small(request, pk, photo_id):
    """The photo's small square copy (each row of the queue, loaded by the browser as the row comes into view)."""
    return _photo(request, pk, photo_id, small=True)
