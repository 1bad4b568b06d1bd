from django.urls import path

from . import api

app_name = "withdrawal-api"
urlpatterns = [
    path("patients/<int:pk>/assessments/", api.AssessmentListView.as_view(), name="assessment-list"),
    path(
        "patients/<int:pk>/assessments/<int:assessment_id>/",
        api.AssessmentDetailView.as_view(),
        name="assessment-detail",
    ),
    path("patients/<int:pk>/assessments/<int:assessment_id>/amend/", api.AmendView.as_view(), name="amend"),
    path(
        "patients/<int:pk>/assessments/<int:assessment_id>/entered-in-error/",
        api.EnteredInErrorView.as_view(),
        name="entered-in-error",
    ),
    path("instruments/", api.InstrumentListView.as_view(), name="instrument-list"),
    path("instruments/<slug:code>/", api.InstrumentDetailView.as_view(), name="instrument-detail"),
    path("withdrawal/board/", api.BoardView.as_view(), name="board"),
]
