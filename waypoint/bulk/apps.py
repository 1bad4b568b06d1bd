from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "waypoint.bulk"
    label = "bulk"
    verbose_name = "FHIR Bulk Data export: background jobs, NDJSON files, program and level-of-care Groups"

    def ready(self):
        import waypoint.fhir.kinds  # noqa: F401 - registers every kind of record the export can emit
