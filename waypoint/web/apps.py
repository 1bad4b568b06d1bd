from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "waypoint.web"
    label = "web"
    verbose_name = "Pages shared by every area: layout, sign-in, health check"

    def ready(self) -> None:
        from . import postgres

        postgres.connect()
