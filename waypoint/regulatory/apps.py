from django.apps import AppConfig


class RegulatoryConfig(AppConfig):
    name = "waypoint.regulatory"
    label = "regulatory"
    verbose_name = "Regulatory duties: signed consents, breach response"

    def ready(self):
        from waypoint.patients import chart_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import consent_review

        chart_sections.HEADER.append(consent_review)
