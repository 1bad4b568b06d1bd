"""The external systems' SMART keys: the page (/fhir-clients/) and the API (/api/v1/fhir-clients/)."""

from django.urls import path

from . import client_api, client_pages

app_name = "fhir-clients"
urlpatterns = [
    path("fhir-clients/", client_pages.client_list, name="list"),
    path("fhir-clients/<int:pk>/keys/", client_pages.client_keys, name="keys"),
]
api_patterns = (
    [path("fhir-clients/<int:pk>/keys/", client_api.ClientKeysView.as_view(), name="keys")],
    "fhir-clients-api",
)
