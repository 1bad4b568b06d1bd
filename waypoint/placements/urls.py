from django.urls import path

from . import views

app_name = "placements"
urlpatterns = [
    path("patients/<int:pk>/placement/", views.placement, name="placement"),
    path("placement/rules/", views.rule_table, name="rule-table"),
    path("placement/rules/edit/", views.rule_table_edit, name="rule-table-edit"),
    path("placement/rules/versions/<int:number>/", views.rule_table_version, name="rule-table-version"),
    path("placement/rules/versions/<int:number>/restore/", views.rule_table_restore, name="rule-table-restore"),
    path("placement/due/", views.due_page, name="due"),
    path("waitlist/", views.waitlist_page, name="waitlist"),
    path("referrals/new/", views.referral_new, name="referral-new"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path("referrals/<int:referral_id>/admit/", views.referral_admit, name="referral-admit"),
    path("referrals/<int:referral_id>/close/", views.referral_close, name="referral-close"),
]
