"""Every page declares who may open it, and the three personas get what the
declaration says: anonymous visitors are sent to sign in, users get 403 on
admin pages, admins get everything."""

import pytest
from django.urls import URLPattern, reverse

from portal.accounts.models import User
from portal.ingest.keys import create_key
from portal.metering.quantities import QUANTITIES
from portal.tariffs.actions import create_tariff, save_version
from portal.tariffs.document import parse_version
from portal.web import urls as web_urls
from portal.web.labels import label, unit
from portal.web.rules import RULES, rule_of

# name -> (method, declared rule). Objects: site PLANT, device CLD00000009, a key.
PAGES = {
    "dashboard": ("get", "user"),
    "sites": ("get", "user"),
    "site-create": ("get", "admin"),
    "site-edit": ("get", "admin"),
    "site-deactivate": ("post", "admin"),
    "devices": ("get", "user"),
    "device-create": ("get", "admin"),
    "device": ("get", "user"),
    "device-edit": ("get", "admin"),
    "device-deactivate": ("post", "admin"),
    "device-export": ("get", "user"),
    "device-import": ("get", "admin"),
    "ingest-events": ("get", "user"),
    "keys": ("get", "admin"),
    "key-revoke": ("post", "admin"),
    "users": ("get", "admin"),
    "user-create": ("get", "admin"),
    "user-edit": ("get", "admin"),
    "user-password": ("get", "admin"),
    "user-delete": ("post", "admin"),
    "password-change": ("get", "user"),
    "branding": ("get", "admin"),
    "audit": ("get", "admin"),
    "audit-export": ("get", "admin"),
    "branding-reset": ("post", "admin"),
    "site": ("get", "user"),
    "site-bill": ("get", "user"),
    "site-bill-export": ("get", "user"),
    "tariffs": ("get", "admin"),
    "tariff-create": ("get", "admin"),
    "tariff-import": ("get", "admin"),
    "tariff": ("get", "admin"),
    "tariff-edit": ("get", "admin"),
    "tariff-delete": ("post", "admin"),
    "tariff-export": ("get", "admin"),
    "version-create": ("get", "admin"),
    "version-edit": ("get", "admin"),
    "version-delete": ("post", "admin"),
}

OPEN_PAGES = {
    "login": "anonymous",
    "logout": "anonymous",
    "branding-css": "anonymous",
    "branding-logo": "anonymous",
}


def web_patterns() -> list[URLPattern]:
    return [p for p in web_urls.urlpatterns if isinstance(p, URLPattern)]


@pytest.fixture
def url_for(meter):
    key, _ = create_key("gateway")
    person = User.objects.create_user(
        email="someone@example.com", password="pw-someone-1"
    )
    tariff = create_tariff(utility="City", name="Flat")
    version = save_version(
        tariff,
        parse_version(
            {
                "valid_from": "2026-01-01",
                "charges": [{"kind": "energy_flat", "rate": "1"}],
            }
        ),
    )
    kwargs = {
        "site-edit": {"code": "PLANT"},
        "site-deactivate": {"code": "PLANT"},
        "device": {"external_id": meter.external_id},
        "device-edit": {"external_id": meter.external_id},
        "device-deactivate": {"external_id": meter.external_id},
        "device-export": {"external_id": meter.external_id},
        "device-import": {"external_id": meter.external_id},
        "key-revoke": {"pk": key.pk},
        "user-edit": {"pk": person.pk},
        "user-password": {"pk": person.pk},
        "user-delete": {"pk": person.pk},
        "site": {"code": meter.site.code},
        "site-bill": {"code": meter.site.code},
        "site-bill-export": {"code": meter.site.code},
        "tariff": {"pk": tariff.pk},
        "tariff-edit": {"pk": tariff.pk},
        "tariff-delete": {"pk": tariff.pk},
        "tariff-export": {"pk": tariff.pk},
        "version-create": {"pk": tariff.pk},
        "version-edit": {"pk": tariff.pk, "version": version.pk},
        "version-delete": {"pk": tariff.pk, "version": version.pk},
    }
    return lambda name: reverse(name, kwargs=kwargs.get(name))


def call(client, method: str, url: str):
    return client.post(url) if method == "post" else client.get(url)


def test_every_page_declares_a_rule():
    undeclared = [p.name for p in web_patterns() if rule_of(p.callback) not in RULES]

    assert undeclared == []


def test_the_persona_table_matches_every_declared_rule():
    declared = {p.name: rule_of(p.callback) for p in web_patterns()}

    expected = {name: rule for name, (_, rule) in PAGES.items()} | OPEN_PAGES
    assert declared == expected


@pytest.mark.parametrize("name", sorted(PAGES))
def test_it_sends_anonymous_visitors_to_sign_in(client, url_for, name):
    method, _ = PAGES[name]

    response = call(client, method, url_for(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    "name", sorted(n for n, (_, r) in PAGES.items() if r == "admin")
)
def test_it_refuses_admin_pages_to_a_user(as_user, url_for, name):
    method, _ = PAGES[name]

    response = call(as_user, method, url_for(name))

    assert response.status_code == 403
    assert b"Only an admin" in response.content


@pytest.mark.parametrize(
    "name", sorted(n for n, (m, r) in PAGES.items() if r == "user")
)
def test_it_lets_a_user_open_user_pages(as_user, url_for, name):
    response = as_user.get(url_for(name))

    assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(n for n, (m, _) in PAGES.items() if m == "get"))
def test_it_lets_an_admin_open_every_page(as_admin, url_for, name):
    response = as_admin.get(url_for(name))

    assert response.status_code == 200


def test_it_sends_an_htmx_request_without_a_session_to_sign_in_as_a_whole(client):
    response = client.get(reverse("dashboard"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("login")


def test_every_quantity_has_a_label_and_a_unit():
    assert all(label(q) != q for q in QUANTITIES)
    assert unit("p_kw") == "kW"
    assert unit("kvarh_export") == "kvarh"
    assert unit("pf2") == ""
