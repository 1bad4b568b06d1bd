from django.urls import path

from . import api

app_name = "dispensing-api"
urlpatterns = [
    path("dosing/queue/", api.QueueView.as_view(), name="queue"),
    path("patients/<int:pk>/dosing/doses/", api.DoseView.as_view(), name="doses"),
    path("patients/<int:pk>/dosing/holds/", api.HoldListView.as_view(), name="holds"),
    path("patients/<int:pk>/dosing/guests/", api.GuestListView.as_view(), name="guests"),
    path("patients/<int:pk>/dosing/replacements/", api.ReplacementListView.as_view(), name="replacements"),
    path("patients/<int:pk>/dosing/call-backs/", api.PatientCallBackView.as_view(), name="patient-call-backs"),
    path(
        "patients/<int:pk>/dosing/call-backs/<int:call_back_id>/",
        api.CallBackResultView.as_view(),
        name="call-back-result",
    ),
    path("dosing/call-backs/", api.CallBackListView.as_view(), name="call-backs"),
    path("dosing/calendar/", api.CalendarView.as_view(), name="calendar"),
    path("dosing/calendar/bottles/", api.ClosedDayBottlesView.as_view(), name="closed-day-bottles"),
    path("patients/<int:pk>/dosing/take-home-decisions/", api.DecisionListView.as_view(), name="take-home-decisions"),
    path("patients/<int:pk>/dosing/take-home-bottles/", api.BottleListView.as_view(), name="take-home-bottles"),
    path("dosing/ledger/", api.LedgerView.as_view(), name="ledger"),
    path("dosing/counts/", api.CountListView.as_view(), name="counts"),
    path("dosing/counts/<int:count_id>/sign-off/", api.CountSignOffView.as_view(), name="count-sign-off"),
    path(
        "dosing/counts/<int:count_id>/investigation/",
        api.CountInvestigationView.as_view(),
        name="count-investigation",
    ),
    path("dosing/bottles/return/", api.BottleReturnView.as_view(), name="bottle-return"),
]
