from django.urls import path

from . import views

app_name = "withdrawal"
urlpatterns = [
    path("withdrawal/board/", views.board_page, name="board"),
    path("patients/<int:pk>/withdrawal/", views.flowsheet, name="flowsheet"),
    path("patients/<int:pk>/assessments/new/<slug:instrument>/", views.record, name="record"),
    path("patients/<int:pk>/withdrawal/ciwa-ar/", views.ciwa_ar_monitoring, name="ciwa-ar"),
    path("patients/<int:pk>/assessments/<int:assessment_id>/amend/", views.amend, name="amend"),
    path(
        "patients/<int:pk>/assessments/<int:assessment_id>/entered-in-error/",
        views.entered_in_error,
        name="entered-in-error",
    ),
    path("patients/<int:pk>/kiosk/", views.kiosk_open, name="kiosk-open"),
]

kiosk_patterns = (
    [
        path("", views.kiosk_start, name="start"),
        path("report/<slug:instrument>/", views.kiosk_report, name="report"),
        path("finish/", views.kiosk_finish, name="finish"),
    ],
    "kiosk",
)
