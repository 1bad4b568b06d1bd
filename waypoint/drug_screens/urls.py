from django.urls import path

from . import views

app_name = "drug_screens"
urlpatterns = [
    path("patients/<int:pk>/drug-screens/", views.screens_page, name="page"),
]
