from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "waypoint.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes: the program director's figures"
