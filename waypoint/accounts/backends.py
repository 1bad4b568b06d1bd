"""Django's ModelBackend, taking the user a session read with itself (accounts.session_store) instead of reading it
again; the same checks apply (an inactive account is nobody)."""

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from .session_store import preloaded_user


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user = preloaded_user(user_id)
        if user is None:
            return super().get_user(user_id)
        return user if self.user_can_authenticate(user) else None
