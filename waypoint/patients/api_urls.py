from django.urls import path

from . import allergy_api, api

app_name = "patients-api"
urlpatterns = [
    path("patients/", api.PatientListView.as_view(), name="patient-list"),
    path("patients/<int:pk>/", api.PatientDetailView.as_view(), name="patient-detail"),
    path("patients/<int:pk>/episodes/", api.EpisodeListView.as_view(), name="episode-list"),
    path("patients/<int:pk>/episodes/<int:episode_id>/", api.EpisodeDetailView.as_view(), name="episode-detail"),
    path(
        "patients/<int:pk>/episodes/<int:episode_id>/transfer/",
        api.EpisodeTransferView.as_view(),
        name="episode-transfer",
    ),
    path(
        "patients/<int:pk>/episodes/<int:episode_id>/discharge/",
        api.EpisodeDischargeView.as_view(),
        name="episode-discharge",
    ),
    path("patients/<int:pk>/allergies/", allergy_api.AllergyListView.as_view(), name="allergy-list"),
    path(
        "patients/<int:pk>/allergies/<int:allergy_id>/entered-in-error/",
        allergy_api.AllergyInErrorView.as_view(),
        name="allergy-in-error",
    ),
    path("census/", api.CensusView.as_view(), name="census"),
]
