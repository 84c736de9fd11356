"""The worker and `portal run` as real processes against the test database."""

import json
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from portal.ingest.actions import ingest_records
from portal.ingest.records import ReadingRecord
from portal.metering.models import EnergyInterval
from tests.conftest import portal_command, portal_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_worker_recomputes_what_ingest_queues_and_stops_on_sigterm(
    device, tmp_path
):
    worker = subprocess.Popen(
        [*portal_command(), "worker"],
        env=portal_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        start = datetime(2026, 3, 2, 8, tzinfo=UTC)
        # 10.0 kWh at 08:00 and 13.0 at 08:30: 1.5 kWh in each of the first two
        # intervals, and a row for 08:30-08:45, which holds the last reading.
        ingest_records(
            [
                ReadingRecord("CLD00000001", start, {"kwh_import": 10.0}),
                ReadingRecord(
                    "CLD00000001", start + timedelta(minutes=30), {"kwh_import": 13.0}
                ),
            ],
            source="api",
        )

        computed = wait_until(
            lambda: EnergyInterval.objects.filter(device=device).count() == 3, 60
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=60)[0].decode()

    assert computed, f"the worker did not compute the intervals within 60 s:\n{output}"
    rows = EnergyInterval.objects.order_by("start").values_list("kwh_import", flat=True)
    assert list(rows) == [1.5, 1.5, 0.0]

    assert worker.returncode == 0, output
    events = [
        json.loads(line)["event"]
        for line in output.splitlines()
        if line.startswith("{")
    ]
    assert "worker.start" in events and "worker.stop" in events


def test_portal_run_serves_and_stops_cleanly_on_ctrl_c(db, tmp_path):
    port = free_port()
    run = subprocess.Popen(
        [*portal_command(), "run", "--bind", f"127.0.0.1:{port}"],
        env=portal_env(tmp_path, PORTAL_ADMIN_PASSWORD=""),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ready = wait_until(
            lambda: _status(f"http://127.0.0.1:{port}/health/ready") == 200, 90
        )
        assert ready, "portal run did not become ready within 90 s"
        assert _status(f"http://127.0.0.1:{port}/health") == 200
    finally:
        # Ctrl-C in a terminal signals the whole foreground process group.
        import os

        os.killpg(run.pid, signal.SIGINT)
        output = run.communicate(timeout=60)[0].decode()

    assert run.returncode == 0, output
    events = [
        json.loads(line)["event"]
        for line in output.splitlines()
        if line.startswith("{")
    ]
    for expected in (
        "startup.database",
        "startup.migrations",
        "startup.partitions",
        "startup.admin",
        "run.stopped",
    ):
        assert expected in events, output
    # The generated admin password is printed once and kept under the var folder.
    assert "Password:" in output
    assert (tmp_path / "var" / "admin-password").exists()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def test_make_run_on_a_fresh_machine_starts_and_stops_its_own_database(tmp_path):
    """What `make run` does with no DATABASE_URL: an embedded PostgreSQL under
    the var folder, started with the portal and stopped by Ctrl-C."""
    import os

    port = free_port()
    env = portal_env(tmp_path, PORTAL_ADMIN_PASSWORD="")
    del env["DATABASE_URL"]
    run = subprocess.Popen(
        [*portal_command(), "run", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ready = wait_until(
            lambda: _status(f"http://127.0.0.1:{port}/health/ready") == 200, 120
        )
        pgdata = tmp_path / "var" / "pgdata"
        assert ready, "portal run did not become ready within 120 s"
        assert (pgdata / "postmaster.pid").exists()
    finally:
        os.killpg(run.pid, signal.SIGINT)
        output = run.communicate(timeout=90)[0].decode()

    assert run.returncode == 0, output
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    database = next(e for e in events if e["event"] == "startup.database")
    assert database["how"] == "embedded"
    assert "worker.stop" in [e["event"] for e in events]
    # The last portal process to exit stopped the server.
    assert wait_until(lambda: not (pgdata / "postmaster.pid").exists(), 30), output
