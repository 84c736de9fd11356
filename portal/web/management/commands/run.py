"""`portal run` (what `make run` calls): the web server and the worker
together in the foreground, both stopped cleanly by Ctrl-C."""

import logging
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from portal import startup
from portal.web.management.commands.serve import check_bind

logger = logging.getLogger("portal.run")


class Command(BaseCommand):
    help = "Start the web server and the worker together (one machine)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind", default=None, help="address:port for the web server"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["bind"]:
            check_bind(options["bind"])
        startup.prepare()

        serve = [sys.executable, "-m", "portal.cli", "serve", "--skip-prepare"]
        if options["bind"]:
            serve += ["--bind", options["bind"]]
        # The children get their own session: Ctrl-C reaches only this process,
        # which then stops each child with exactly one SIGTERM. A second signal
        # would make the worker abandon the job in hand.
        worker = [sys.executable, "-m", "portal.cli", "worker"]
        children = [
            subprocess.Popen(serve, start_new_session=True),
            subprocess.Popen(worker, start_new_session=True),
        ]
        logger.info("run.started", extra={"pids": [c.pid for c in children]})

        stopping = _wait_for_signal_or_exit(children)
        _stop(children)
        logger.info("run.stopped", extra={"reason": stopping})


def _wait_for_signal_or_exit(children: list[subprocess.Popen[bytes]]) -> str:
    received: list[str] = []

    def on_signal(signum: int, frame: Any) -> None:
        received.append(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not received:
        if any(child.poll() is not None for child in children):
            return "a child process exited"
        time.sleep(0.2)
    return received[0]


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 25
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
