from django.apps import AppConfig


class ComfortConfig(AppConfig):
    name = "waypoint.comfort"
    label = "comfort"
    verbose_name = "Comfort medications: symptom-triggered as-needed doses under the program's protocol"

    def ready(self):
        from waypoint.patients import chart_sections

        from .sections import comfort_body

        chart_sections.BODY.append(comfort_body)
