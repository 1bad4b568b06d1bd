from django.urls import path

from . import api

app_name = "placements-api"
urlpatterns = [
    path("patients/<int:pk>/placements/", api.PlacementListView.as_view(), name="placement-list"),
    path("placement/rules/", api.RuleTableView.as_view(), name="rule-table"),
]
urlpatterns += [
    path("referrals/", api.ReferralListView.as_view(), name="referral-list"),
    path("referrals/<int:referral_id>/", api.ReferralDetailView.as_view(), name="referral-detail"),
    path("referrals/<int:referral_id>/admit/", api.ReferralAdmitView.as_view(), name="referral-admit"),
    path("referrals/<int:referral_id>/close/", api.ReferralCloseView.as_view(), name="referral-close"),
]
