"""Readings through `POST /api/v1/readings` over real HTTP, from client threads.

Request bodies are encoded before the clock starts, so the figure is what
the server takes to answer, not what the client takes to build JSON.

Each batch goes on a new connection, as a gateway that posts every few
minutes sends it. With one kept-alive connection per client thread, both
connections often land on the same gunicorn worker (a gthread worker accepts
while its other threads are busy) and the other worker idles: the figure
then measured the luck of the accept, not the server.
"""

import contextlib
import http.client
import json
import threading
import time
from collections.abc import Sequence

from bench.processes import BenchError

PATH = "/api/v1/readings"


def _post(port: int, secret: str, body: bytes) -> dict:
    headers = {
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/json",
        "Connection": "close",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", PATH, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"{PATH} answered {response.status}: {data[:500]!r}")
    return dict(json.loads(data))


def _client(
    port: int,
    secret: str,
    bodies: Sequence[bytes],
    expected: int,
    start: threading.Barrier,
    failures: list[BaseException],
) -> None:
    try:
        start.wait()
        for body in bodies:
            answer = _post(port, secret, body)
            if answer["accepted"] != expected:
                raise BenchError(f"expected {expected} accepted, got {answer}")
    except BaseException as error:  # reported by the main thread
        failures.append(error)
        start.abort()


def send(
    port: int, secret: str, per_thread: Sequence[Sequence[bytes]], expected: int
) -> float:
    """Send each list of bodies from its own thread, all at once; return the
    seconds until the last answer. Every batch must answer `expected` accepted."""
    start = threading.Barrier(len(per_thread) + 1)
    failures: list[BaseException] = []
    threads = [
        threading.Thread(
            target=_client, args=(port, secret, bodies, expected, start, failures)
        )
        for bodies in per_thread
    ]
    for thread in threads:
        thread.start()

    # A broken barrier means a client failed before sending; its error is
    # raised below.
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    if failures:
        raise BenchError(f"an API client failed: {failures[0]!r}") from failures[0]
    return elapsed
