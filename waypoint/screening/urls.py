from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("patients/<int:pk>/history/", views.history, name="history"),
    path("patients/<int:pk>/screen/", views.screen, name="screen"),
    path("patients/<int:pk>/follow-ups/<int:follow_up_id>/", views.follow_up, name="follow-up"),
    path("patients/<int:pk>/naloxone/", views.naloxone, name="naloxone"),
    path("patients/<int:pk>/overdose-events/", views.events, name="events"),
    path("patients/<int:pk>/overdose-risk/", views.risk, name="risk"),
    path("patients/<int:pk>/handout/", views.handout, name="handout"),
    path("follow-ups/", views.worklist, name="worklist"),
]
