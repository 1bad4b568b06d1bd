from django.urls import path

from . import allergy_views, views

app_name = "patients"
urlpatterns = [
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_register, name="register"),
    path("patients/<int:pk>/", views.patient_chart, name="chart"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="edit"),
    path("patients/<int:pk>/progress/", views.progress, name="progress"),
    path("patients/<int:pk>/admit/", views.episode_admit, name="admit"),
    path("patients/<int:pk>/episodes/<int:episode_id>/transfer/", views.episode_transfer, name="transfer"),
    path("patients/<int:pk>/episodes/<int:episode_id>/discharge/", views.episode_discharge, name="discharge"),
    path("patients/<int:pk>/allergies/", allergy_views.allergy_page, name="allergies"),
    path(
        "patients/<int:pk>/allergies/<int:allergy_id>/in-error/",
        allergy_views.allergy_in_error,
        name="allergy-in-error",
    ),
    path("census/", views.census, name="census"),
    path("patients/unassigned/", views.unassigned, name="unassigned"),
]
