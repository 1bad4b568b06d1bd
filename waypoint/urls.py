from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from waypoint.accounts import passkey_views
from waypoint.accounts import views as accounts
from waypoint.fhir import smart_views
from waypoint.fhir.client_urls import api_patterns as fhir_client_api
from waypoint.fhir.views import BaseView as FhirBaseView
from waypoint.regulatory.urls import kiosk_consent_patterns
from waypoint.site import views as web
from waypoint.withdrawal.urls import kiosk_patterns

handler403 = "waypoint.site.views.permission_denied"
handler404 = "waypoint.site.views.not_found"
handler500 = "waypoint.site.unavailable.handler500"
schema_view = SpectacularAPIView.as_view()
# public description of the API; the data behind it is not (a mark the sign-in middleware reads off the view)
schema_view.login_required = False  # type: ignore[attr-defined]

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", web.healthz, name="healthz"),
    path("login/", login_not_required(accounts.SignInView.as_view()), name="login"),
    path("logout/", accounts.SignOutView.as_view(), name="logout"),
    path("login/verify/", accounts.two_factor_verify, name="two-factor-verify"),
    path("account/two-factor/", accounts.two_factor_manage, name="two-factor"),
    path("account/two-factor/enrol/", accounts.two_factor_enrol, name="two-factor-enrol"),
    path("account/two-factor/passkeys/new/", passkey_views.passkey_add, name="passkey-add"),
    path("account/two-factor/passkeys/<int:pk>/remove/", passkey_views.passkey_remove, name="passkey-remove"),
    path("account/passkeys/", include(passkey_views)),
    path("program/", web.switch_program, name="switch-program"),
    path("work-lists/", web.work_lists, name="work-lists"),
    path("", include("waypoint.patients.urls")),
    path("", include("waypoint.withdrawal.urls")),
    path("", include("waypoint.privacy.urls")),
    path("", include("waypoint.placements.urls")),
    path("", include("waypoint.screening.urls")),
    path("", include("waypoint.treatment.urls")),
    path("", include("waypoint.medication.urls")),
    path("", include("waypoint.comfort.urls")),
    path("", include("waypoint.dispensing.urls")),
    path("", include("waypoint.drug_screens.urls")),
    path("", include("waypoint.outcomes.urls")),
    path("", include("waypoint.aftercare.urls")),
    path("kiosk/", include(kiosk_patterns)),
    path("kiosk/consents/", include(kiosk_consent_patterns)),
    path("", include("waypoint.regulatory.urls")),
    path("", include("waypoint.privacy.audit_urls")),
    path("", include("waypoint.accounts.urls")),
    path("", include("waypoint.fhir.client_urls")),
    path("api/v1/schema/", schema_view, name="api-schema"),
    path("api/v1/", include("waypoint.patients.api_urls")),
    path("api/v1/", include("waypoint.withdrawal.api_urls")),
    path("api/v1/", include("waypoint.placements.api_urls")),
    path("api/v1/", include("waypoint.screening.api_urls")),
    path("api/v1/", include("waypoint.privacy.api_urls")),
    path("api/v1/", include("waypoint.treatment.api_urls")),
    path("api/v1/", include("waypoint.medication.api_urls")),
    path("api/v1/", include("waypoint.comfort.api_urls")),
    path("api/v1/", include("waypoint.dispensing.api_urls")),
    path("api/v1/", include("waypoint.drug_screens.api_urls")),
    path("api/v1/", include("waypoint.outcomes.api_urls")),
    path("api/v1/", include("waypoint.aftercare.api_urls")),
    path("api/v1/", include(fhir_client_api)),
    # SMART Backend Services: the token endpoint and its discovery document (at the root and at the FHIR base)
    path("auth/token", smart_views.token, name="smart-token"),
    path(".well-known/smart-configuration", smart_views.configuration, name="smart-configuration"),
    path("fhir/.well-known/smart-configuration", smart_views.configuration, name="fhir-smart-configuration"),
    # FHIR: the Bulk Data export (and its Groups) first; the facade's read/search patterns go BELOW this line,
    # so that its generic [type]/[id] routes do not shadow $export, Group and the bulk status/file URLs.
    re_path(r"^fhir/?$", FhirBaseView.as_view(), name="fhir-base"),  # the base: OperationOutcome, never HTML
    path("fhir/", include("waypoint.bulk.urls")),
    path("fhir/", include("waypoint.fhir.urls")),
]
