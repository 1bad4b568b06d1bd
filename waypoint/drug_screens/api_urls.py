from django.urls import path

from . import api

app_name = "drug-screens-api"
urlpatterns = [
    path("patients/<int:pk>/drug-screens/", api.DrugScreenListView.as_view(), name="screens"),
]
