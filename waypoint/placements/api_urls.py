from django.urls import path

from . import api

app_name = "placements-api"
urlpatterns = [
    path("patients/<int:pk>/placements/", api.PlacementListView.as_view(), name="placement-list"),
    path("placement/rules/", api.RuleTableView.as_view(), name="rule-table"),
]
