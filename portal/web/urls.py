"""The pages. Every view declares who may open it (portal.web.rules)."""

from django.urls import path

from portal.web.views import (
    audit,
    auth,
    branding,
    dashboard,
    device,
    devices,
    imports,
    ingest,
    keys,
    sites,
    users,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login", auth.login, name="login"),
    path("logout", auth.logout, name="logout"),
    path("sites/", sites.site_list, name="sites"),
    path("sites/new", sites.site_create, name="site-create"),
    path("sites/<str:code>/edit", sites.site_edit, name="site-edit"),
    path("sites/<str:code>/active", sites.site_deactivate, name="site-deactivate"),
    path("devices/", devices.device_list, name="devices"),
    path("devices/new", devices.device_create, name="device-create"),
    path("devices/<str:external_id>/", device.device_page, name="device"),
    path("devices/<str:external_id>/edit", devices.device_edit, name="device-edit"),
    path(
        "devices/<str:external_id>/active",
        devices.device_deactivate,
        name="device-deactivate",
    ),
    path(
        "devices/<str:external_id>/readings.csv",
        device.device_export,
        name="device-export",
    ),
    path(
        "devices/<str:external_id>/import", imports.device_import, name="device-import"
    ),
    path("ingest/events", ingest.ingest_events, name="ingest-events"),
    path("settings/users/", users.user_list, name="users"),
    path("settings/users/new", users.user_create, name="user-create"),
    path("settings/users/<int:pk>/edit", users.user_edit, name="user-edit"),
    path("settings/users/<int:pk>/password", users.user_password, name="user-password"),
    path("settings/users/<int:pk>/delete", users.user_delete, name="user-delete"),
    path("account/password", users.password_change, name="password-change"),
    path("settings/audit", audit.audit_list, name="audit"),
    path("settings/audit.csv", audit.audit_export, name="audit-export"),
    path("settings/branding", branding.branding_edit, name="branding"),
    path("settings/branding/reset", branding.branding_reset, name="branding-reset"),
    path("branding.css", branding.branding_css, name="branding-css"),
    path("branding/logo.png", branding.branding_logo, name="branding-logo"),
    path("keys/", keys.key_list, name="keys"),
    path("keys/<int:pk>/revoke", keys.key_revoke, name="key-revoke"),
]
