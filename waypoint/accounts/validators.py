"""Password rules beyond Django's own: an upper bound on length (NIST SP 800-63B accepts at least 64)."""

from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long. It must contain at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return f"Your password must contain at most {self.max_length} characters."
