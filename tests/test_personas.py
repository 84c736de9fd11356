"""Every route of the project, for four people: an anonymous visitor, a user
limited to one site, an unrestricted user and an admin. A route missing from
the table fails the walk, so a new route must say who may use it."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.accounts.models import User
from portal.ingest.keys import create_key
from portal.metering.actions import create_device, create_site
from portal.tariffs.actions import create_tariff, save_version, set_site_tariff
from portal.tariffs.document import parse_version

PERSONAS = ("anonymous", "limited", "user", "admin")
SIGN_IN = 302  # sent to the sign-in page
DAY = {"start": "2026-03-01", "end": "2026-03-02"}
PERIOD = {"period": "2026-03"}


def page(ok=200):
    """A page any signed-in user may open."""
    return {"anonymous": SIGN_IN, "limited": ok, "user": ok, "admin": ok}


def other_site_page(ok=200):
    """A page about the site the limited user may not see: 404 for them."""
    return {"anonymous": SIGN_IN, "limited": 404, "user": ok, "admin": ok}


def admin_page(ok=200):
    return {"anonymous": SIGN_IN, "limited": 403, "user": 403, "admin": ok}


def everyone(status=200):
    return dict.fromkeys(PERSONAS, status)


def api_read(limited=200):
    return {"anonymous": 401, "limited": limited, "user": 200, "admin": 200}


NORTH = {"external_id": "N1"}
SOUTH = {"external_id": "S1"}

# (url name, method, url kwargs, query, expected status per persona)
ROUTES = [
    ("health", "get", None, None, everyone()),
    ("health-ready", "get", None, None, everyone()),
    ("api:openapi-json", "get", None, None, everyone()),
    ("api:openapi-view", "get", None, None, everyone()),
    ("api:api-root", "get", None, None, everyone(404)),
    # Sessions do not send readings: only an ingest key does.
    ("api:post_readings", "post", None, None, everyone(401)),
    ("api:post_axm_snapshots", "post", None, None, everyone(401)),
    ("api:device_energy", "get", NORTH, DAY, api_read()),
    ("api:device_energy", "get", SOUTH, DAY, api_read(limited=404)),
    ("api:device_readings", "get", NORTH, DAY, api_read()),
    ("api:device_readings", "get", SOUTH, DAY, api_read(limited=404)),
    ("api:site_energy", "get", {"code": "NORTH"}, DAY, api_read()),
    ("api:site_energy", "get", {"code": "SOUTH"}, DAY, api_read(limited=404)),
    ("api:bill", "get", {"code": "NORTH"}, PERIOD, api_read()),
    ("api:bill", "get", {"code": "SOUTH"}, PERIOD, api_read(limited=404)),
    (
        "login",
        "get",
        None,
        None,
        {"anonymous": 200, "limited": 302, "user": 302, "admin": 302},
    ),
    ("logout", "post", None, None, everyone(302)),
    ("dashboard", "get", None, None, page()),
    ("sites", "get", None, None, page()),
    ("site-create", "get", None, None, admin_page()),
    ("site-edit", "get", {"code": "SOUTH"}, None, admin_page()),
    ("site-deactivate", "post", {"code": "SOUTH"}, None, admin_page(302)),
    ("site", "get", {"code": "NORTH"}, None, page()),
    ("site", "get", {"code": "SOUTH"}, None, other_site_page()),
    ("site-bill", "get", {"code": "NORTH"}, PERIOD, page()),
    ("site-bill", "get", {"code": "SOUTH"}, PERIOD, other_site_page()),
    ("site-bill-export", "get", {"code": "NORTH"}, PERIOD, page()),
    ("site-bill-export", "get", {"code": "SOUTH"}, PERIOD, other_site_page()),
    ("tariffs", "get", None, None, admin_page()),
    ("tariff-create", "get", None, None, admin_page()),
    ("tariff-import", "get", None, None, admin_page()),
    ("tariff", "get", "tariff", None, admin_page()),
    ("tariff-edit", "get", "tariff", None, admin_page()),
    ("tariff-export", "get", "tariff", None, admin_page()),
    ("tariff-delete", "post", "tariff", None, admin_page(302)),
    ("version-create", "get", "tariff", None, admin_page()),
    ("version-edit", "get", "version", None, admin_page()),
    ("version-delete", "post", "version", None, admin_page(302)),
    ("devices", "get", None, None, page()),
    ("device-create", "get", None, None, admin_page()),
    ("device", "get", NORTH, None, page()),
    ("device", "get", SOUTH, None, other_site_page()),
    ("device-edit", "get", SOUTH, None, admin_page()),
    ("device-deactivate", "post", SOUTH, None, admin_page(302)),
    ("device-export", "get", NORTH, DAY, page()),
    ("device-export", "get", SOUTH, DAY, other_site_page()),
    ("device-import", "get", SOUTH, None, admin_page()),
    ("ingest-events", "get", None, None, page()),
    ("keys", "get", None, None, admin_page()),
    ("key-revoke", "post", "key", None, admin_page(302)),
    ("users", "get", None, None, admin_page()),
    ("user-create", "get", None, None, admin_page()),
    ("user-edit", "get", "person", None, admin_page()),
    ("user-password", "get", "person", None, admin_page()),
    ("user-delete", "post", "person", None, admin_page(302)),
    ("password-change", "get", None, None, page()),
    ("branding", "get", None, None, admin_page()),
    ("audit", "get", None, None, admin_page()),
    ("audit-export", "get", None, None, admin_page()),
    ("branding-reset", "post", None, None, admin_page(302)),
    ("branding-css", "get", None, None, everyone()),
    ("branding-logo", "get", None, None, everyone(404)),  # none uploaded
]


def all_route_names(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from all_route_names(
                pattern.url_patterns, pattern.namespace or namespace
            )
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_is_in_the_table():
    assert set(all_route_names()) == {name for name, *_ in ROUTES}


@pytest.fixture
def world(db):
    north = create_site(code="NORTH", name="North", timezone="Africa/Johannesburg")
    south = create_site(code="SOUTH", name="South", timezone="Africa/Johannesburg")
    create_device(site=north, external_id="N1", name="North incomer")
    create_device(site=south, external_id="S1", name="South incomer")
    limited = User.objects.create_user(
        email="limited@example.com", password="pw-limited-1"
    )
    limited.limited_to_sites = True
    limited.save()
    limited.sites.add(north)
    tariff = create_tariff(utility="City", name="Flat")
    version = save_version(
        tariff,
        parse_version(
            {
                "valid_from": "2026-01-01",
                "charges": [{"kind": "energy_flat", "rate": "2.5"}],
            }
        ),
    )
    set_site_tariff(north, tariff)
    set_site_tariff(south, tariff)
    return {
        "tariff": {"pk": tariff.pk},
        "version": {"pk": tariff.pk, "version": version.pk},
        "limited": limited,
        "user": User.objects.create_user(
            email="user@example.com", password="pw-user-1234"
        ),
        "admin": User.objects.create_superuser(
            email="admin@example.com", password="pw-admin-123"
        ),
        "key": create_key("gateway")[0],
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "method", "kwargs", "query", "expected"),
    ROUTES,
    ids=[
        f"{name}-{kwargs['external_id'] if isinstance(kwargs, dict) and 'external_id' in kwargs else ''}"
        for name, _, kwargs, *_ in ROUTES
    ],
)
def test_each_persona_gets_the_declared_answer(
    world, persona, name, method, kwargs, query, expected
):
    client = Client()
    if persona != "anonymous":
        client.force_login(world[persona])
    if kwargs == "key":
        kwargs = {"pk": world["key"].pk}
    elif kwargs == "person":
        kwargs = {"pk": world["user"].pk}
    elif kwargs in ("tariff", "version"):
        kwargs = world[kwargs]
    url = reverse(name, kwargs=kwargs)

    response = (
        client.post(url, query or {})
        if method == "post"
        else client.get(url, query or {})
    )

    assert response.status_code == expected[persona]
