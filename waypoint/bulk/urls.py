"""Bulk Data export under /fhir/ (mounted before the FHIR facade's own patterns, so Group and $export land here)."""

from django.urls import path

from . import views

app_name = "bulk"
urlpatterns = [
    path("$export", views.KickOffView.as_view(), name="export"),
    path("Patient/$export", views.PatientKickOffView.as_view(), name="patient-export"),
    path("Group/<str:group_id>/$export", views.GroupKickOffView.as_view(), name="group-export"),
    path("Group/<str:group_id>", views.GroupReadView.as_view(), name="group-read"),
    path("Group", views.GroupSearchView.as_view(), name="group-search"),
    path("bulk-status/<uuid:job_id>", views.StatusView.as_view(), name="status"),
    path("bulk-files/<uuid:job_id>/<str:filename>", views.FileView.as_view(), name="file"),
]
