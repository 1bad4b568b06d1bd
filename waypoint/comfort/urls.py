from django.urls import path

from . import views

app_name = "comfort"
urlpatterns = [
    path("patients/<int:pk>/comfort/", views.mar, name="mar"),
    path("patients/<int:pk>/comfort/give/", views.give, name="give"),
    path("patients/<int:pk>/comfort/doses/<int:dose_id>/follow-up/", views.follow_up, name="follow-up"),
]
