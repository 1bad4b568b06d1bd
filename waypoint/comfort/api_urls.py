from django.urls import path

from . import api

app_name = "comfort-api"
urlpatterns = [
    path("patients/<int:pk>/comfort-doses/", api.DoseListView.as_view(), name="doses"),
    path("patients/<int:pk>/comfort-doses/<int:dose_id>/follow-up/", api.FollowUpView.as_view(), name="follow-up"),
]
