from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "waypoint.aftercare"
    label = "aftercare"
    verbose_name = "After discharge: continuing-care plans, the discharge packet, follow-up contacts"

    def ready(self):
        from waypoint.patients import chart_sections, transition_checks

        from . import (
            record_kinds,  # noqa: F401 - declares the kinds of record
            settings,  # noqa: F401 - declares the program settings
        )
        from .forms import ContinuingCarePlanFields
        from .sections import aftercare_body
        from .services import record_plan_at_discharge

        transition_checks.DISCHARGE_PARTS.append(record_plan_at_discharge)
        transition_checks.DISCHARGE_FORMS.append(ContinuingCarePlanFields)
        chart_sections.BODY.append(aftercare_body)

        from waypoint.outcomes import figures as outcome_figures

        from .outcomes import figures

        outcome_figures.FIGURES.extend(figures())
