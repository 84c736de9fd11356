"""Running `portal` commands as child processes and measuring them.

Each command runs under `bench.launch`, which records the command's own peak
resident memory (see there why the bench cannot ask the kernel directly).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.database import ROOT

PORTAL = str(ROOT / ".venv" / "bin" / "portal")


class BenchError(RuntimeError):
    """A step of the bench failed; the message says which and shows its output."""


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mib: float
    output: str


def child_env(database_url: str) -> dict[str, str]:
    """The environment of a `portal` command: the scratch database, and
    logging at INFO as in production (the bench itself sets WARNING)."""
    return dict(os.environ, DATABASE_URL=database_url, PORTAL_LOG_LEVEL="INFO")


@dataclass
class _Launched:
    child: subprocess.Popen
    report: Path
    command: str

    def wait(self, timeout: float) -> tuple[int, float]:
        """Wait for the command; return its exit code and peak RSS in MiB.

        Stops it after `timeout` seconds, so a hung command cannot hang the bench.
        """
        try:
            self.child.wait(timeout)
        except subprocess.TimeoutExpired:
            self.child.terminate()  # the launcher passes it on to the command
            self.child.wait()
            self.report.unlink()
            message = f"{self.command} did not finish in {timeout:.0f} s"
            raise BenchError(message) from None
        try:
            result = json.loads(self.report.read_text() or "{}")
        finally:
            self.report.unlink()
        peak_kib = result.get("peak_rss_kib", 0)  # Linux counts KiB
        return self.child.returncode, peak_kib / 1024


def _launch(args: list[str], env: dict[str, str], output: IO[bytes]) -> _Launched:
    handle, report = tempfile.mkstemp(prefix="bench-launch-", suffix=".json")
    os.close(handle)
    command = [sys.executable, "-m", "bench.launch", str(report), PORTAL, *args]
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
    )
    return _Launched(child, Path(report), f"portal {' '.join(args)}")


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


def _tail(stream: IO[bytes], chars: int = 3000) -> str:
    return _read(stream)[-chars:]


def run_portal(args: list[str], env: dict[str, str], timeout: float) -> ChildRun:
    """Run `portal ARGS` to completion; raise BenchError if it fails."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        code, peak = _launch(args, env, output).wait(timeout)
        seconds = time.perf_counter() - started
        text = _read(output)

    if code != 0:
        raise BenchError(f"portal {' '.join(args)} exited with {code}:\n{text[-3000:]}")
    return ChildRun(seconds, peak, text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    peak_rss_mib: float = 0.0  # known once the server has stopped


@contextmanager
def portal_server(env: dict[str, str], workers: int = 2) -> Iterator[Server]:
    """`portal serve` on a free loopback port, ready to answer; stopped on exit."""
    server = Server(free_port())
    args = ["serve", "--skip-prepare", "--bind", f"127.0.0.1:{server.port}"]
    with tempfile.TemporaryFile() as log:
        launched = _launch([*args, "--workers", str(workers)], env, log)
        try:
            _wait_until_healthy(launched.child, server.port, log)
            yield server
        finally:
            # gunicorn stops its workers gracefully on SIGTERM.
            launched.child.send_signal(signal.SIGTERM)
            server.peak_rss_mib = launched.wait(timeout=30)[1]


def _wait_until_healthy(
    child: subprocess.Popen, port: int, log: IO[bytes], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise BenchError(f"portal serve exited at start:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"portal serve did not answer /health in {timeout} s")


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    meminfo = Path("/proc/meminfo").read_text().split()
    total_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    return {
        "cpus": len(os.sched_getaffinity(0)),  # what `nproc` prints
        "memory_gib": round(total_kib / 1024**2, 1),
        "arch": os.uname().machine,
        "kernel": os.uname().release,
    }
