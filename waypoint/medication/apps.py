from django.apps import AppConfig


class MedicationConfig(AppConfig):
    name = "waypoint.medication"
    label = "medication"
    verbose_name = "Medication for opioid use disorder: orders and administrations"

    def ready(self):
        from waypoint.patients import chart_sections, progress_sections
        from waypoint.withdrawal import board

        from . import settings  # noqa: F401 - declares the program settings
        from .doses import given_doses
        from .sections import moud_body, moud_progress

        board.DOSE_SOURCES.append(given_doses)
        chart_sections.BODY.append(moud_body)
        progress_sections.SECTIONS.append(moud_progress)
