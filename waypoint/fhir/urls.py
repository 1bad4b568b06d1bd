from django.urls import path, re_path

from . import views

app_name = "fhir"

# Resource types start with a capital letter and ids use [A-Za-z0-9-.] only, so operations such as $export
# (waypoint.bulk) never match these patterns.
urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})$", views.SearchView.as_view(), name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$",
        views.ReadView.as_view(),
        name="read",
    ),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})/_history/(?P<version>[A-Za-z0-9\-.]{1,64})$",
        views.ReadView.as_view(),
        name="vread",
    ),
    re_path(r"^(?P<rest>.*)$", views.UnknownView.as_view(), name="unknown"),  # last: an OperationOutcome 404
]
