from django.apps import AppConfig


class DispensingConfig(AppConfig):
    name = "waypoint.dispensing"
    label = "dispensing"
    verbose_name = "Opioid treatment program dispensing: the dosing window, take-home bottles and the stock ledger"

    def ready(self):
        from . import settings  # noqa: F401 - declares the program settings
