from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "waypoint.patients"
    label = "patients"
    verbose_name = "Patients, episodes of care and levels of care"

    def ready(self):
        from . import chart_sections
        from .allergies import allergy_header

        chart_sections.HEADER.insert(0, allergy_header)
