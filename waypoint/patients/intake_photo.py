"""The identity photo taken at registration (intake). The patients app only carries it: the area that keeps and shows
it (the dosing window) registers the function that stores it, in its ready(), and the registration form offers the
camera only then. The patients app depends on none of them.

STORE: `(acting_user, patient, data: bytes) -> object`, run in the registration's transaction; a ValidationError on
`photo` refuses the registration whole (nothing saved)."""

from collections.abc import Callable

from django import forms

STORE: list[Callable] = []
MAX_BYTES = 2 * 1024 * 1024  # read at most one byte more, so the store can refuse a larger file


def field() -> forms.FileField:
    return forms.FileField(
        label="Photo (to confirm identity at the dosing window)",
        required=False,
        help_text="Take it with the camera or choose a JPEG or PNG file, at most 2 MB. Shown only to staff who dose.",
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "user"}),
    )


def store(acting_user, patient, upload) -> None:
    data = upload.read(MAX_BYTES + 1)
    for keep in STORE:
        keep(acting_user, patient, data)
