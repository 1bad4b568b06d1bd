from django.urls import path

from . import audit_views

app_name = "audit"
urlpatterns = [
    path("audit/", audit_views.audit_trail, name="trail"),
]
