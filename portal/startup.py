"""What every start does before serving: find the database, apply migrations,
make sure partitions exist, seed the default admin. Each step logs one line.

Several web processes may start at once (behind a load balancer), so the
steps run under a PostgreSQL advisory lock.
"""

import io
import logging
import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from portal.accounts.actions import seed_default_admin
from portal.metering.partitions import ensure_partitions_around

logger = logging.getLogger("portal.startup")

_STARTUP_LOCK_ID = 0x53_54_52_54


def prepare() -> None:
    _log_database()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_STARTUP_LOCK_ID])
    try:
        _migrate()
        _partitions()
        _seed_admin()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_STARTUP_LOCK_ID])


def _log_database() -> None:
    db = settings.DATABASES["default"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    logger.info(
        "startup.database",
        extra={
            "how": settings.DATABASE_LOCATION.how,
            "host": db["HOST"] or "local socket",
            "database": db["NAME"],
            "server_version": version,
        },
    )


def _migrate() -> None:
    output = io.StringIO()
    call_command("migrate", interactive=False, verbosity=1, stdout=output)
    applied = output.getvalue().count(" OK")
    logger.info("startup.migrations", extra={"applied": applied})


def _partitions() -> None:
    created = ensure_partitions_around(datetime.now(UTC).date())
    logger.info("startup.partitions", extra={"partitions_created": created})


def _seed_admin() -> None:
    email = settings.PORTAL_ADMIN_EMAIL
    created, generated = seed_default_admin(
        email, settings.PORTAL_ADMIN_PASSWORD, settings.VAR_DIR
    )
    logger.info("startup.admin", extra={"email": email, "seeded": created})
    if generated:
        # Shown once, on the terminal of the person who started the portal.
        sys.stderr.write(
            f"\n  Default admin: {email}\n  Password:      {generated}\n"
            f"  (kept in {settings.VAR_DIR / 'admin-password'})\n\n"
        )
