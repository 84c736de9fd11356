"""`portal serve`: prepare the database, then run the web server (gunicorn)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.base import BaseApplication

from portal import startup


class _PortalServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from portal.wsgi import application

        return application


class Command(BaseCommand):
    help = "Apply migrations, seed the admin, and serve the portal over HTTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind",
            default=settings.PORTAL_BIND,
            help="address:port (default %(default)s)",
        )
        parser.add_argument("--workers", type=int, default=settings.PORTAL_WEB_WORKERS)
        parser.add_argument(
            "--skip-prepare", action="store_true", help="do not migrate or seed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_bind(options["bind"])
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if not options["skip_prepare"]:
            startup.prepare()

        _PortalServer(
            {
                "bind": options["bind"],
                "workers": options["workers"],
                "worker_class": "gthread",
                "threads": 4,
                "timeout": 120,
                "graceful_timeout": 10,
                "accesslog": None,
                "logconfig_dict": settings.LOGGING,
                "limit_request_line": 8190,
                "forwarded_allow_ips": "127.0.0.1,::1",
                # No control socket in the user's home folder; stop with SIGTERM.
                "control_socket_disable": True,
            }
        ).run()


def check_bind(bind: str) -> None:
    """HOST:PORT with a usable port, or one clear line instead of a traceback."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise CommandError(
            f"--bind must be HOST:PORT with a port from 1 to 65535, not {bind!r}"
        )
