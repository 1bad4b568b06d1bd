from django.urls import path

from . import settings_page, views

app_name = "accounts"
urlpatterns = [
    path("settings/", settings_page.settings_page, name="settings"),
    path("settings/<str:key>/", settings_page.setting_change, name="setting-change"),
    path("session/extend/", views.extend_session, name="session-extend"),
]
