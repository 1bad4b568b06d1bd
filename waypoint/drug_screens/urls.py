from django.urls import path

from . import views

app_name = "drug_screens"
urlpatterns = [
    path("patients/<int:pk>/drug-screens/", views.screens_page, name="page"),
]
urlpatterns.append(
    path(
        "patients/<int:pk>/drug-screens/<int:screen_id>/entered-in-error/",
        views.screen_in_error,
        name="entered-in-error",
    )
)
