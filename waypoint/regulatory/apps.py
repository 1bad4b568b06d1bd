from django.apps import AppConfig


class RegulatoryConfig(AppConfig):
    name = "waypoint.regulatory"
    label = "regulatory"
    verbose_name = "Regulatory duties: signed consents, breach response"

    def ready(self):
        from waypoint.medication import services as medication
        from waypoint.patients import chart_sections, services

        from . import settings  # noqa: F401 - declares the program settings
        from .pdmp import before_order
        from .registry import on_episode
        from .sections import consent_review

        chart_sections.HEADER.append(consent_review)
        services.EPISODE_HOOKS.append(on_episode)  # central-registry reports of admissions and discharges
        medication.ORDER_CHECKS["pdmp"] = before_order  # the program's PDMP rule before a controlled substance
