from django.apps import AppConfig


class DispensingConfig(AppConfig):
    name = "waypoint.dispensing"
    label = "dispensing"
    verbose_name = "Opioid treatment program dispensing: the dosing window, take-home bottles and the stock ledger"

    def ready(self):
        from waypoint.patients import chart_sections, intake_photo

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import dispensing_body

        chart_sections.BODY.append(dispensing_body)
        from .services import store_intake_photo

        intake_photo.STORE.append(store_intake_photo)
