from django.urls import path

from . import api

app_name = "medication-api"
urlpatterns = [
    path("patients/<int:pk>/moud-orders/", api.OrderListView.as_view(), name="orders"),
    path("patients/<int:pk>/moud-orders/<int:order_id>/stop/", api.OrderStopView.as_view(), name="order-stop"),
    path("patients/<int:pk>/moud-administrations/", api.AdministrationListView.as_view(), name="administrations"),
    path(
        "patients/<int:pk>/moud-administrations/<int:administration_id>/entered-in-error/",
        api.AdministrationErrorView.as_view(),
        name="administration-error",
    ),
]
