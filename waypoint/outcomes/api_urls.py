from django.urls import path

from . import api

app_name = "outcomes-api"
urlpatterns = [
    path("outcomes/", api.OutcomesView.as_view(), name="outcomes"),
]
