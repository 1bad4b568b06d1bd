from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "waypoint.privacy"
    label = "privacy"
    verbose_name = "Privacy: audit trail, consents, disclosures"

    def ready(self):
        from waypoint.patients import chart_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import emergency_banner

        chart_sections.HEADER.insert(0, emergency_banner)
