from django.urls import path

from . import api

app_name = "screening-api"
urlpatterns = [
    path("patients/<int:pk>/history/", api.HistoryView.as_view(), name="history"),
    path("patients/<int:pk>/screens/", api.ScreenListView.as_view(), name="screens"),
    path("patients/<int:pk>/follow-ups/", api.FollowUpListView.as_view(), name="follow-ups"),
    path("patients/<int:pk>/follow-ups/<int:follow_up_id>/", api.FollowUpDetailView.as_view(), name="follow-up"),
    path("patients/<int:pk>/overdose-risk/", api.RiskView.as_view(), name="overdose-risk"),
    path("patients/<int:pk>/naloxone/", api.NaloxoneView.as_view(), name="naloxone"),
    path("patients/<int:pk>/events/", api.EventListView.as_view(), name="events"),
]
