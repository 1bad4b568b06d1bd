from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "waypoint.screening"
    label = "screening"
    verbose_name = "Intake screening: substance use history, complications, overdose risk, naloxone"

    def ready(self):
        from waypoint.patients import chart_sections, transition_checks

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import overdose_header, screening_body
        from .services import naloxone_transition_check

        chart_sections.HEADER.append(overdose_header)
        chart_sections.BODY.append(screening_body)
        transition_checks.CHECKS.append(naloxone_transition_check)
