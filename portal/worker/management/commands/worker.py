"""`portal worker`: run background jobs until SIGINT or SIGTERM."""

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from procrastinate.contrib.django import app

from portal.metering.actions import recompute_stale

logger = logging.getLogger("portal.worker")


class Command(BaseCommand):
    help = "Run the background worker (energy recomputation and periodic jobs)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=settings.PORTAL_WORKER_CONCURRENCY
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="recompute every stale device once and exit, without the job queue",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        if options["once"]:
            done = recompute_stale(limit=1_000_000)
            logger.info("worker.once", extra={"devices": done})
            return

        logger.info("worker.start", extra={"concurrency": options["concurrency"]})
        worker_connector = app.connector.get_worker_connector()  # type: ignore[attr-defined]
        with app.replace_connector(worker_connector) as worker_app:
            worker_app.run_worker(
                queues=["energy"],
                concurrency=options["concurrency"],
                install_signal_handlers=True,
                shutdown_graceful_timeout=20,
            )
        logger.info("worker.stop")
