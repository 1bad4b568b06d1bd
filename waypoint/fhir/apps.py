from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "waypoint.fhir"
    label = "fhir"
    verbose_name = "FHIR R4 facade"

    def ready(self) -> None:
        from . import kinds  # noqa: F401  (registers every resource kind)
