from django.apps import AppConfig


class WithdrawalConfig(AppConfig):
    name = "waypoint.withdrawal"
    label = "withdrawal"
    verbose_name = "Withdrawal management: scored assessments, flowsheet, board"

    def ready(self):
        from waypoint.patients import chart_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import withdrawal_status

        chart_sections.HEADER.append(withdrawal_status)
