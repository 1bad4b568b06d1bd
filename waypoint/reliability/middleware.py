"""Page forms saved once (`{% form_token %}`), and the database-down answer (503, not 500)."""

import re

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect

from . import idempotency

TOKEN = re.compile(r"[0-9a-f]{32}")
ALREADY_SAVED = "This form had already been sent, and it was saved once: nothing was saved twice."


class FormTokenMiddleware:
    """A POST carrying a form token runs in one transaction with the token's row: a second submission of the
    same form (a double click, a retry after a dropped connection) waits for the first, then is sent where the
    first one went, with a message; a form shown again with its errors (4xx) frees its token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request.POST.get("form_token", "") if request.method == "POST" else ""
        user = getattr(request, "user", None)
        if not TOKEN.fullmatch(token) or user is None or not user.is_authenticated:
            return self.get_response(request)
        digest = idempotency.request_hash("POST", request.path, request.POST.urlencode().encode())
        with transaction.atomic():
            try:
                submission = idempotency.claim(user, f"form:{token}", digest)
            except (idempotency.Replay, idempotency.KeyReused) as earlier:
                transaction.set_rollback(True)
                stored = earlier.submission if isinstance(earlier, idempotency.Replay) else None
                messages.info(request, ALREADY_SAVED)
                return redirect(stored.location if stored and stored.location else request.path)
            response = self.get_response(request)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            else:
                idempotency.remember(
                    submission, status_code=response.status_code, location=response.get("Location", "")
                )
            return response
