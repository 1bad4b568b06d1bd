from django.urls import path

from . import api

app_name = "treatment-api"
urlpatterns = [
    path("patients/<int:pk>/plans/", api.PlanListView.as_view(), name="plan-list"),
    path("patients/<int:pk>/plans/<int:plan_id>/", api.PlanDetailView.as_view(), name="plan-detail"),
    path("patients/<int:pk>/plans/<int:plan_id>/sign/", api.PlanSignView.as_view(), name="plan-sign"),
    path(
        "patients/<int:pk>/plans/<int:plan_id>/acknowledge/", api.PlanAcknowledgeView.as_view(), name="plan-acknowledge"
    ),
    path("patients/<int:pk>/plans/<int:plan_id>/amend/", api.PlanAmendView.as_view(), name="plan-amend"),
    path("patients/<int:pk>/plans/<int:plan_id>/reviews/", api.PlanReviewView.as_view(), name="plan-review"),
    path(
        "patients/<int:pk>/plans/<int:plan_id>/interventions/",
        api.InterventionListView.as_view(),
        name="intervention-list",
    ),
    path("patients/<int:pk>/objective-status/", api.ObjectiveStatusView.as_view(), name="objective-status"),
    path("patients/<int:pk>/progress-notes/", api.ProgressNoteListView.as_view(), name="progress-note-list"),
    path("patients/<int:pk>/counseling-notes/", api.CounselingNoteListView.as_view(), name="counseling-note-list"),
    path("treatment/templates/", api.TemplateListView.as_view(), name="template-list"),
    path("sessions/", api.SessionListView.as_view(), name="session-list"),
    path("sessions/<int:session_id>/", api.SessionDetailView.as_view(), name="session-detail"),
    path("sessions/<int:session_id>/roster/", api.RosterView.as_view(), name="session-roster"),
    path("sessions/<int:session_id>/attendance/", api.AttendanceView.as_view(), name="session-attendance"),
    path("sessions/<int:session_id>/group-note/", api.GroupNoteView.as_view(), name="session-group-note"),
]
