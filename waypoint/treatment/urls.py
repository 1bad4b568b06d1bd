from django.urls import path

from . import views

app_name = "treatment"
urlpatterns = [
    path("patients/<int:pk>/plan/", views.plan_page, name="plan"),
    path("patients/<int:pk>/plan/<int:plan_id>/", views.plan_version, name="plan-version"),
    path("patients/<int:pk>/plan/<int:plan_id>/sign/", views.plan_sign, name="plan-sign"),
    path("patients/<int:pk>/plan/<int:plan_id>/acknowledge/", views.plan_acknowledge, name="plan-acknowledge"),
    path("patients/<int:pk>/plan/<int:plan_id>/amend/", views.plan_amend, name="plan-amend"),
    path("patients/<int:pk>/plan/<int:plan_id>/review/", views.plan_review, name="plan-review"),
    path("patients/<int:pk>/plan/<int:plan_id>/template/", views.plan_save_template, name="plan-save-template"),
    path("patients/<int:pk>/notes/", views.notes_page, name="notes"),
    path("patients/<int:pk>/counseling-notes/", views.counseling_notes_page, name="counseling-notes"),
    path("patients/<int:pk>/schedule/", views.patient_schedule, name="patient-schedule"),
    path("treatment/due/", views.due_page, name="due"),
    path("treatment/templates/", views.templates_page, name="templates"),
    path("treatment/modalities/", views.modalities_page, name="modalities"),
    path("treatment/schedule/", views.program_schedule, name="schedule"),
    path("treatment/sessions/new/", views.session_new, name="session-new"),
    path("treatment/sessions/<int:session_id>/", views.session_detail, name="session"),
    path("treatment/sessions/<int:session_id>/roster/", views.session_roster, name="session-roster"),
    path("treatment/sessions/<int:session_id>/attendance/", views.session_attendance, name="session-attendance"),
    path("treatment/sessions/<int:session_id>/note/", views.session_note, name="session-note"),
]
