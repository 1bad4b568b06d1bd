from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "waypoint.treatment"
    label = "treatment"
    verbose_name = "Treatment: plans, sessions, attendance and notes"

    def ready(self):
        from waypoint.outcomes import figures
        from waypoint.patients import chart_sections, progress_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .outcomes import attendance_figure
        from .sections import plan_header, treatment_body, treatment_progress

        chart_sections.HEADER.append(plan_header)
        chart_sections.BODY.append(treatment_body)
        progress_sections.SECTIONS.append(treatment_progress)
        figures.FIGURES.append(attendance_figure())
