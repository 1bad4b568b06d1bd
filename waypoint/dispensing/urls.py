from django.urls import path

from . import views

app_name = "dispensing"
urlpatterns = [
    path("dosing/", views.queue_page, name="queue"),
    path("dosing/ledger/", views.ledger, name="ledger"),
    path("dosing/ledger/count/", views.count, name="count"),
    path("patients/<int:pk>/dosing/", views.dose, name="dose"),
    path("patients/<int:pk>/dosing/holds/new/", views.hold_new, name="hold-new"),
    path("patients/<int:pk>/dosing/holds/<int:hold_id>/lift/", views.hold_lift, name="hold-lift"),
    path("patients/<int:pk>/dosing/labels/", views.labels, name="labels"),
]
urlpatterns += [
    path("patients/<int:pk>/dosing/take-homes/", views.take_homes, name="take-homes"),
    path("patients/<int:pk>/dosing/bottles/<int:bottle_id>/return/", views.bottle_return, name="bottle-return"),
]
urlpatterns.append(path("dosing/ledger/entries/new/", views.ledger_entry, name="ledger-entry"))
urlpatterns.append(path("dosing/ledger/counts/<int:count_id>/sign-off/", views.count_sign_off, name="count-sign-off"))
urlpatterns.append(
    path("dosing/ledger/counts/<int:count_id>/investigation/", views.count_investigation, name="count-investigation")
)
urlpatterns += [
    path("patients/<int:pk>/dosing/guest/new/", views.guest_new, name="guest-new"),
    path("patients/<int:pk>/dosing/replacements/new/", views.replacement_new, name="replacement-new"),
]
urlpatterns += [
    path("dosing/calendar/", views.calendar, name="calendar"),
    path("dosing/call-backs/", views.call_backs, name="call-backs"),
    path("patients/<int:pk>/dosing/call-backs/<int:call_back_id>/", views.call_back_record, name="call-back-record"),
    path("patients/<int:pk>/dosing/safe-storage/", views.safe_storage, name="safe-storage"),
]
urlpatterns += [
    path("dosing/reports/", views.reports, name="reports"),
    path("dosing/reports/inventory/", views.inventory, name="inventory"),
]
urlpatterns += [
    path("patients/<int:pk>/dosing/photo/new/", views.photo_new, name="photo-new"),
    path("patients/<int:pk>/dosing/photo/<int:photo_id>/", views.photo, name="photo"),
    path("patients/<int:pk>/dosing/photo/<int:photo_id>/small/", views.photo_small, name="photo-small"),
]
urlpatterns.append(path("dosing/bottles/return/", views.bottle_scan, name="bottle-scan"))
