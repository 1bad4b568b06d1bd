from django.apps import AppConfig


class DrugScreensConfig(AppConfig):
    name = "waypoint.drug_screens"
    label = "drug_screens"
    verbose_name = "Urine drug screens: results per analyte, expected and unexpected"

    def ready(self):
        from waypoint.patients import progress_sections

        from .sections import screens_progress

        progress_sections.SECTIONS.append(screens_progress)
