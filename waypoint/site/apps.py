from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "waypoint.site"
    label = "site"
    verbose_name = "The site: start pages, navigation, error pages, the demo and seed commands"
