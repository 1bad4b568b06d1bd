from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2ForTests(Argon2PasswordHasher):
    """Argon2 with minimal cost: used only by the test suite (WAYPOINT_TESTING), never in a deployment."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1
