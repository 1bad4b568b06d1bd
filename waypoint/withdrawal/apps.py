from django.apps import AppConfig


class WithdrawalConfig(AppConfig):
    name = "waypoint.withdrawal"
    label = "withdrawal"
    verbose_name = "Withdrawal management: scored assessments, flowsheet, board"

    def ready(self):
        from waypoint.patients import chart_sections, progress_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import cravings_progress, withdrawal_status

        chart_sections.HEADER.append(withdrawal_status)
        progress_sections.SECTIONS.insert(0, cravings_progress)
