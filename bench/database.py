"""A scratch database of its own on the portal's server, and Django pointed at it.

Without DATABASE_URL the portal runs its embedded server under var/; the
bench attaches to that server (starting it if need be) the same way every
portal process does, so it measures the server the portal really uses. With
DATABASE_URL the scratch database goes on that server instead.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """The portal's var folder, found the way portal.settings finds it."""
    configured = os.environ.get("PORTAL_VAR_DIR", "").strip()
    return Path(configured or ROOT / "var").resolve()


def _server_url() -> str:
    """A URL of the server the portal would use, naming some existing database."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if configured:
        return configured

    from portal.dbserver import embedded_database_url

    # Attaching registers this process as a user of the embedded server, which
    # therefore stays up until the bench exits.
    return embedded_database_url(var_dir() / "pgdata")


@contextmanager
def scratch_database() -> Iterator[str]:
    """Create `bench_<pid>`, yield its URL, and drop it afterwards, also on failure."""
    admin = _server_url()
    name = f"bench_{os.getpid()}"

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(admin, dbname=name)
    finally:
        _drop(admin, name)


def _drop(admin: str, name: str) -> None:
    from django.apps import apps
    from django.db import connections

    if apps.ready:
        connections.close_all()
    with psycopg.connect(admin, autocommit=True) as conn:
        # FORCE: a child process killed mid-run may leave a session behind.
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def setup_django(url: str) -> None:
    """Point Django at `url`, then migrate; the settings read these at import."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["PORTAL_LOG_LEVEL"] = "WARNING"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def create_fixtures(device_names: list[str]) -> tuple[Any, dict[str, int], str]:
    """A site, a device per name (id by name), and an ingest key's secret,
    made by the portal's own actions."""
    from portal.ingest.keys import create_key
    from portal.metering.actions import create_device, create_site

    site = create_site(code="BENCH", name="Bench plant", timezone="Africa/Johannesburg")
    ids = {
        name: create_device(site=site, external_id=name, name=name, serial=name).pk
        for name in device_names
    }
    return site, ids, create_key("bench gateway")[1]


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])
