from django.urls import path

from . import views

app_name = "aftercare"
urlpatterns = [
    path("patients/<int:pk>/continuing-care/<int:plan_id>/packet/", views.packet, name="packet"),
    path("patients/<int:pk>/continuing-care/<int:plan_id>/send/", views.send_plan, name="send"),
    path("after-discharge/", views.work_list, name="work-list"),
    path("patients/<int:pk>/after-discharge/<int:follow_up_id>/contact/", views.contact, name="contact"),
    path("patients/<int:pk>/re-engagement/<int:task_id>/", views.task_done, name="task"),
    path("patients/<int:pk>/sentinel-events/<int:event_id>/", views.sentinel_review, name="sentinel"),
]
