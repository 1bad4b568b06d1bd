from django.apps import AppConfig


class ComfortConfig(AppConfig):
    name = "waypoint.comfort"
    label = "comfort"
    verbose_name = "Comfort medications: symptom-triggered as-needed doses under the program's protocol"

    def ready(self):
        from waypoint.patients import chart_sections
        from waypoint.withdrawal import board, charts_data

        from .board import board_notes
        from .chart_marks import prn_marks
        from .sections import comfort_body

        chart_sections.BODY.append(comfort_body)
        board.NOTE_SOURCES.append(board_notes)
        charts_data.MARKER_SOURCES.append(prn_marks)
