from django.apps import AppConfig


class ReliabilityConfig(AppConfig):
    name = "waypoint.reliability"
    label = "reliability"
    verbose_name = "Reliability: idempotent writes, database faults, backups"
