from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "waypoint.treatment"
    label = "treatment"
    verbose_name = "Treatment: plans, sessions, attendance and notes"

    def ready(self):
        from waypoint.patients import chart_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import plan_header, treatment_body

        chart_sections.HEADER.append(plan_header)
        chart_sections.BODY.append(treatment_body)
