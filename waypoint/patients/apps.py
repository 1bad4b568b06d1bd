from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "waypoint.patients"
    label = "patients"
    verbose_name = "Patients, episodes of care and levels of care"
