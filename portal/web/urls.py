"""The pages. Every view declares who may open it (portal.web.rules)."""

from django.urls import path

from portal.web.views import (
    audit,
    auth,
    bills,
    branding,
    dashboard,
    device,
    devices,
    imports,
    ingest,
    keys,
    site,
    sites,
    tariffs,
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
    path("sites/<str:code>/", site.site_page, name="site"),
    path("sites/<str:code>/bill", bills.bill_page, name="site-bill"),
    path("sites/<str:code>/bill.csv", bills.bill_export, name="site-bill-export"),
    path("settings/tariffs/", tariffs.tariff_list, name="tariffs"),
    path("settings/tariffs/new", tariffs.tariff_create, name="tariff-create"),
    path("settings/tariffs/import", tariffs.tariff_import, name="tariff-import"),
    path("settings/tariffs/<int:pk>/", tariffs.tariff_page, name="tariff"),
    path("settings/tariffs/<int:pk>/edit", tariffs.tariff_edit, name="tariff-edit"),
    path(
        "settings/tariffs/<int:pk>/delete", tariffs.tariff_delete, name="tariff-delete"
    ),
    path(
        "settings/tariffs/<int:pk>/export.json",
        tariffs.tariff_export,
        name="tariff-export",
    ),
    path(
        "settings/tariffs/<int:pk>/versions/new",
        tariffs.version_create,
        name="version-create",
    ),
    path(
        "settings/tariffs/<int:pk>/versions/<int:version>/edit",
        tariffs.version_edit,
        name="version-edit",
    ),
    path(
        "settings/tariffs/<int:pk>/versions/<int:version>/delete",
        tariffs.version_delete,
        name="version-delete",
    ),
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
