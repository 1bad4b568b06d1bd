from django.urls import path

from . import views

app_name = "medication"
urlpatterns = [
    path("patients/<int:pk>/medication/", views.medication_page, name="page"),
    path("patients/<int:pk>/medication/orders/new/", views.order_new, name="order-new"),
    path("patients/<int:pk>/medication/orders/<int:order_id>/stop/", views.order_stop, name="order-stop"),
    path("patients/<int:pk>/medication/administer/", views.administer, name="administer"),
]
urlpatterns.append(
    path(
        "patients/<int:pk>/medication/doses/<int:administration_id>/entered-in-error/",
        views.administration_in_error,
        name="entered-in-error",
    )
)
