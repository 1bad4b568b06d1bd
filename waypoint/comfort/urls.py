from django.urls import path

from . import protocol_views, views

app_name = "comfort"
urlpatterns = [
    path("patients/<int:pk>/comfort/", views.mar, name="mar"),
    path("patients/<int:pk>/comfort/give/", views.give, name="give"),
    path("patients/<int:pk>/comfort/doses/<int:dose_id>/follow-up/", views.follow_up, name="follow-up"),
    path("comfort/protocol/", protocol_views.protocol_page, name="protocol"),
    path("comfort/protocol/new/", protocol_views.protocol_new, name="protocol-new"),
    path("comfort/report/", protocol_views.report_page, name="report"),
    path("patients/<int:pk>/comfort/order/", protocol_views.order_new, name="order-new"),
]
