from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "waypoint.web"
    label = "web"
    verbose_name = "Web plumbing shared by every area: layout, middleware, API base, form helpers, template tags"

    def ready(self) -> None:
        from . import postgres

        postgres.connect()
