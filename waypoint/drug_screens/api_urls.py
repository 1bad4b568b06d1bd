from django.urls import path

from . import api

app_name = "drug-screens-api"
urlpatterns = [
    path("patients/<int:pk>/drug-screens/", api.DrugScreenListView.as_view(), name="screens"),
    path(
        "patients/<int:pk>/drug-screens/<int:screen_id>/entered-in-error/",
        api.DrugScreenErrorView.as_view(),
        name="entered-in-error",
    ),
]
