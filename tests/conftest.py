"""Test set-up: a real PostgreSQL, never a mocked one.

With TEST_DATABASE_URL the tests use that server; without it they start the
embedded server under var/ (the same one `make run` uses, in a separate
test database that pytest-django creates and drops).
"""

import os

# Read by portal.settings, which pytest-django imports after this module.
os.environ["PORTAL_TESTING"] = "1"
os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")

from datetime import UTC, datetime

import pytest


@pytest.fixture
def site(db):
    from portal.metering.actions import create_site

    return create_site(
        code="JHB", name="Johannesburg plant", timezone="Africa/Johannesburg"
    )


@pytest.fixture
def device(site):
    from portal.metering.actions import create_device

    return create_device(
        site=site, external_id="CLD00000001", name="Main incomer", serial="CLD00000001"
    )


@pytest.fixture
def ingest_secret(db):
    from portal.ingest.keys import create_key

    return create_key("meter gateway", "ingest")[1]


@pytest.fixture
def read_secret(db):
    from portal.ingest.keys import create_key

    return create_key("reporting", "read")[1]


@pytest.fixture
def admin_user(db):
    from portal.accounts.models import User

    return User.objects.create_superuser(
        email="admin@example.com", password="pw-admin-123"
    )


@pytest.fixture
def plain_user(db):
    from portal.accounts.models import User

    return User.objects.create_user(email="user@example.com", password="pw-user-123")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def database_url_for_subprocess() -> str:
    """The URL of the test database, for a `portal` process the test starts."""
    from django.db import connection

    params = connection.settings_dict
    host = params["HOST"]
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{params['NAME']}?host={host}"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgresql://{user}{password}@{host}{port}/{params['NAME']}"


def portal_env(tmp_path, **extra: str) -> dict[str, str]:
    """Environment for a `portal` subprocess: the test database, its own var folder."""
    import os

    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DJANGO_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url_for_subprocess(),
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
            "PORTAL_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


def portal_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "portal.cli"]
