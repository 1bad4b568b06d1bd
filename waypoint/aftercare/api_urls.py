from django.urls import path

from . import api

app_name = "aftercare-api"
urlpatterns = [
    path("patients/<int:pk>/continuing-care/", api.ContinuingCareView.as_view(), name="continuing-care"),
    path(
        "patients/<int:pk>/after-discharge/<int:follow_up_id>/contacts/",
        api.ContactView.as_view(),
        name="contacts",
    ),
]
