from django.urls import path

from . import views, views_teds

app_name = "regulatory"
urlpatterns = [
    path("privacy/consent-forms/", views.texts, name="texts"),
    path("privacy/consent-forms/single-tpo/", views.text_start_tpo, name="text-start-tpo"),
    path("privacy/consent-forms/<int:pk>/", views.text, name="text"),
    path("privacy/consent-forms/<int:pk>/revise/", views.text_revise, name="text-revise"),
    path("privacy/consents-to-renew/", views.review, name="review"),
    path("privacy/breaches/", views.breaches, name="breaches"),
    path("privacy/breaches/new/", views.breach_new, name="breach-new"),
    path("privacy/breaches/<int:pk>/", views.breach, name="breach"),
    path("patients/<int:pk>/consents/<int:consent_id>/signed-copy/", views.signed_copy, name="signed-copy"),
    path("patients/<int:pk>/pdmp/", views.pdmp_checks, name="pdmp"),
    path("patients/<int:pk>/pdmp/<int:check_id>/report/", views.pdmp_report, name="pdmp-report"),
    path("patients/<int:pk>/other-treatment-program/", views.dual_enrollment, name="dual-enrollment"),
    path("privacy/central-registry/", views.registry_reports, name="registry-reports"),
    path("privacy/central-registry/<int:pk>/", views.registry_report, name="registry-report"),
]

kiosk_consent_patterns = (
    [
        path("", views.kiosk_list, name="list"),
        path("<int:text_id>/", views.kiosk_sign, name="sign"),
        path("signed/<int:consent_id>/", views.kiosk_copy, name="copy"),
    ],
    "kiosk-consent",
)

urlpatterns += views_teds.urlpatterns  # the director's TEDS page and its downloads
