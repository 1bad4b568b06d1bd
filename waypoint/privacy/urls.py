from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("emergency-access/", views.break_glass, name="break-glass"),
    path("privacy/break-the-glass/", views.break_glass_report, name="break-glass-report"),
]
