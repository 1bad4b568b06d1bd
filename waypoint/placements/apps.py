from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "waypoint.placements"
    label = "placements"
    verbose_name = "Level of care: placement assessments and decisions"

    def ready(self):
        from waypoint.patients import chart_sections

        from . import settings  # noqa: F401 - declares the program settings
        from .sections import latest_placement

        chart_sections.BODY.append(latest_placement)
