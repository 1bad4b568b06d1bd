from django.urls import path

from . import api

app_name = "dispensing-api"
urlpatterns = [
    path("dosing/queue/", api.QueueView.as_view(), name="queue"),
    path("patients/<int:pk>/dosing/doses/", api.DoseView.as_view(), name="doses"),
    path("patients/<int:pk>/dosing/holds/", api.HoldListView.as_view(), name="holds"),
]
