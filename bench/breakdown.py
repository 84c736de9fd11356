"""`python -m bench.breakdown`: where `POST /api/v1/readings` spends its time.

Not part of `make bench`. It posts batches through Django's test client in
this process (the same middleware, view and action as over HTTP, without
the server) under cProfile, and sums the time of the functions that mark
each stage. cProfile charges every Python call a little, so stages made of
many small calls (the per-record ones) look larger than they are: compare
the shares between versions of the code rather than reading them as times.
"""

import argparse
import cProfile
import pstats
import sys

from bench.database import create_fixtures, scratch_database, setup_django

BATCH = 5000

# (stage, file, functions): the time of those functions, callees included,
# is the stage's. None of them calls another, so the stages do not overlap.
STAGES = (
    ("read the body (middleware)", "ingest/middleware.py", {"_load_body"}),
    ("authenticate the key", "ingest/keys.py", {"authenticate"}),
    ("JSON decoding (json.loads)", "ingest/api.py", {"_json_body"}),
    ("per-record validation", "ingest/schemas.py", {"read_record"}),
    ("batch decoding (msgspec)", "ingest/schemas.py", {"read_batch_fast"}),
    ("admit each record (device, time)", "ingest/actions.py", {"_admit"}),
    ("COPY and INSERT ... ON CONFLICT", "ingest/actions.py", {"_write_rows"}),
    ("commit", "psycopg/connection.py", {"commit"}),
    (
        "ingest event row and log line",
        "ingest/actions.py",
        {"_record_event", "_open_event", "_close_event"},
    ),
    ("queue the recompute job", "worker/tasks.py", {"queue_recompute"}),
)


def _post_batches(batches: int) -> cProfile.Profile:
    from django.test import Client

    from bench.data import json_batch, readings, series_start
    from portal.metering.partitions import ensure_partitions, month_of

    names = [f"profile-{n}" for n in range(batches + 1)]
    _, _, secret = create_fixtures(names)
    rows = list(readings(series_start(BATCH), BATCH))
    ensure_partitions(month_of(ts) for ts, _ in rows)
    bodies = [json_batch(name, rows) for name in names]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")

    def post(body: bytes) -> None:
        response = client.post(
            "/api/v1/readings", data=body, content_type="application/json"
        )
        if response.status_code != 200 or response.json()["accepted"] != BATCH:
            raise RuntimeError(f"the batch failed: {response.content[:300]!r}")

    post(bodies[0])  # the first request loads code; it is not profiled
    profiler = cProfile.Profile()
    for body in bodies[1:]:
        profiler.runcall(post, body)
    return profiler


def _shares(profiler: cProfile.Profile) -> list[tuple[str, float]]:
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    shares = []
    for stage, path, functions in STAGES:
        seconds = sum(
            entry[3]
            for (filename, _, name), entry in entries.items()
            if name in functions and filename.endswith(path)
        )
        if seconds:
            shares.append((stage, seconds))
    shares.append(("Django, Ninja and the rest", total - sum(s for _, s in shares)))
    return [(stage, seconds / total) for stage, seconds in shares]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown")
    parser.add_argument("--batches", type=int, default=10)
    options = parser.parse_args(argv)

    with scratch_database() as url:
        setup_django(url)
        shares = _shares(_post_batches(options.batches))

    for stage, share in shares:
        sys.stdout.write(f"{stage:<36} {share:>6.1%}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
