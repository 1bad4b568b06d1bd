from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "waypoint.privacy"
    label = "privacy"
    verbose_name = "Privacy: audit trail, consents, disclosures"
