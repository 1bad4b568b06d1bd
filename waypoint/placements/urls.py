from django.urls import path

from . import views

app_name = "placements"
urlpatterns = [
    path("patients/<int:pk>/placement/", views.placement, name="placement"),
    path("placement/rules/", views.rule_table, name="rule-table"),
]
