from django.urls import path

from . import api

app_name = "privacy-api"
urlpatterns = [
    path("patients/<int:pk>/consents/", api.ConsentListView.as_view(), name="consent-list"),
    path("patients/<int:pk>/consents/<int:consent_id>/revoke/", api.ConsentRevokeView.as_view(), name="consent-revoke"),
    path("patients/<int:pk>/disclosures/", api.DisclosureListView.as_view(), name="disclosure-list"),
]
