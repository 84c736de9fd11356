"""`portal serve`: prepare the database, then run the web server (gunicorn)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
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
