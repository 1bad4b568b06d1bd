from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("emergency-access/", views.break_glass, name="break-glass"),
    path("privacy/break-the-glass/", views.break_glass_report, name="break-glass-report"),
    path("patients/<int:pk>/privacy/", views.patient_privacy, name="patient"),
    path("patients/<int:pk>/consents/new/", views.consent_new, name="consent-new"),
    path("patients/<int:pk>/consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("patients/<int:pk>/disclose/", views.disclose, name="disclose"),
    path("patients/<int:pk>/disclosures.csv", views.accounting_csv, name="accounting-csv"),
]
