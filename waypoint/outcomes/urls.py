from django.urls import path

from . import views

app_name = "outcomes"
urlpatterns = [
    path("outcomes/", views.dashboard, name="dashboard"),
    path("outcomes/export.csv", views.export_csv, name="csv"),
]
