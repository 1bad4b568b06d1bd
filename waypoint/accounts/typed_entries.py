"""Nothing typed is lost to the idle timeout.

A form sent after its session timed out (the nurse scored a COWS, was called away, came back and pressed Save)
reaches no view: the session is anonymous and the sign-in page comes next. Its entries are kept server-side, for
that user and that form (the page's path) only, and given back once when the same user opens the form again after
signing in, within the program's window (`security.keep_typed_entries_minutes`); the page fills them in again
(`waypoint/static/waypoint/session.js`) with a message saying so. Nothing is saved to the chart until they press
Save again. Keeping and giving back are audited (they hold patient data).
"""

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.utils import timezone

from waypoint.audit import trail as audit

from .models import Program, TypedEntries, User
from .settings import KEEP_TYPED_ENTRIES_MINUTES

TIMED_OUT = "waypoint_timed_out"  # session key of a timed-out session: whose it was and in which program
NEVER_KEPT = ("csrfmiddlewaretoken", "form_token", "next")
MAX_CHARACTERS = 100_000
RESTORED = (
    "You were signed out after a time without activity. What you had typed on this form is filled in again "
    "below: check it and press Save. Nothing was saved yet."
)


def mark_timed_out(session, user, program) -> None:
    """Called on the fresh session left after a timeout, so a form sent with it can still be kept for its user."""
    session[TIMED_OUT] = {"user": user.pk, "program": getattr(program, "pk", None)}


def window(program) -> timedelta:
    minutes = KEEP_TYPED_ENTRIES_MINUTES.get(program) if program else KEEP_TYPED_ENTRIES_MINUTES.default
    return timedelta(minutes=minutes)


def entries_of(post) -> dict[str, list[str]]:
    """The typed values of a form, without its tokens and never a password."""
    return {name: post.getlist(name) for name in post if name not in NEVER_KEPT and "password" not in name.lower()}


@transaction.atomic
def keep(*, acting_user: User, program, path: str, entries: dict[str, list[str]]) -> TypedEntries | None:
    """Keep a timed-out form's entries for its author (one per form: a later one replaces an earlier)."""
    if not entries or sum(len(v) for values in entries.values() for v in values) > MAX_CHARACTERS:
        return None
    kept, _ = TypedEntries.objects.update_or_create(
        user=acting_user,
        path=path[:500],
        defaults={"program": program, "entries": entries, "kept_at": timezone.now()},
    )
    audit.record(acting_user, "form.entries.keep", program=program, detail={"path": kept.path})
    return kept


def take(*, acting_user: User, program, path: str) -> dict[str, list[str]] | None:
    """The entries kept for this user and form, once (they are deleted as they are given back); entries older
    than the program's window are deleted unseen.

    Asked on every page a signed-in user opens: a read that needs no lock takes none. One plain SELECT finds
    whether anything is kept for the user at all (nearly always nothing); only then the entries are taken (and
    the old ones deleted) in a transaction, under a row lock."""
    if not TypedEntries.objects.filter(user=acting_user).exists():
        return None
    return _take(acting_user=acting_user, program=program, path=path)


@transaction.atomic
def _take(*, acting_user: User, program, path: str) -> dict[str, list[str]] | None:
    TypedEntries.objects.filter(user=acting_user, kept_at__lt=timezone.now() - window(program)).delete()
    kept = TypedEntries.objects.select_for_update().filter(user=acting_user, path=path[:500]).first()
    if kept is None:
        return None
    kept.delete()
    audit.record(acting_user, "form.entries.restore", program=program, detail={"path": kept.path})
    return kept.entries


class KeepTypedEntriesMiddleware:
    """Before LoginRequiredMiddleware (its process_view sends the anonymous POST to sign in): keeps the entries of
    a form sent by a timed-out session; hands kept entries back to their author opening the same form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True) or request.path.startswith(("/api/", "/fhir/")):
            return None
        user = request.user
        if request.method == "POST" and not user.is_authenticated:
            self.keep_for_timed_out_user(request)
        elif request.method == "GET" and user.is_authenticated and not request.htmx:
            entries = take(acting_user=user, program=getattr(request, "program", None), path=request.path)
            if entries:
                request.restored_entries = entries
                messages.info(request, RESTORED)
        return None

    @staticmethod
    def keep_for_timed_out_user(request) -> None:
        timed_out = request.session.get(TIMED_OUT) if hasattr(request, "session") else None
        if not timed_out:
            return
        user = User.objects.filter(pk=timed_out.get("user"), is_active=True).first()
        if user is None:
            return
        program = Program.objects.filter(pk=timed_out.get("program")).first()
        keep(acting_user=user, program=program, path=request.path, entries=entries_of(request.POST))
