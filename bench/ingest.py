"""The batch API against COPY of the same rows, repetition by repetition.

Each repetition sends the rows through the API for fresh devices, then
COPYs the same rows for other fresh devices both ways, so that the two
figures of one repetition meet the same load on a shared machine and
nothing conflicts with rows already stored.
"""

from dataclasses import dataclass

from bench import api, dbcopy
from bench.data import Row, copy_rows, copy_text, json_batch, readings, series_start
from bench.processes import portal_server
from bench.report import Measurement, progress
from portal.metering.partitions import ensure_partitions, month_of

BATCH = 5000
_WARM_UP_BATCH = 50


@dataclass(frozen=True)
class IngestPlan:
    batches: int  # asked for, in one repetition over all client threads
    threads: int
    repeat: int

    @property
    def per_thread(self) -> int:
        """Readings each client thread sends in one repetition (its device's);
        every thread sends as many batches as the others."""
        return self.batches // self.threads * BATCH

    @property
    def readings(self) -> int:
        return self.per_thread * self.threads

    def device_names(self) -> list[str]:
        """Every device the phase writes to: warm-up, then per repetition and
        thread one for the API and one for each way of COPY."""
        names = [f"warm-{k}" for k in range(self.threads)]
        for rep in range(self.repeat):
            for k in range(self.threads):
                names += [f"api-{rep}-{k}", f"row-{rep}-{k}", f"text-{rep}-{k}"]
        return names


@dataclass
class IngestFigures:
    api: Measurement
    copy_rows: Measurement
    copy_text: Measurement
    server_peak_rss_mib: float = 0.0

    @property
    def baseline(self) -> Measurement:
        """The faster way of COPY: the database's limit."""
        return max(self.copy_rows, self.copy_text, key=lambda m: m.rate or 0.0)

    @property
    def ratio(self) -> float:
        return (self.api.rate or 0.0) / (self.baseline.rate or 1.0)


def _series(plan: IngestPlan) -> list[list[Row]]:
    """Each thread's device readings: the same minutes, a meter of its own."""
    start = series_start(plan.per_thread)
    return [list(readings(start, plan.per_thread, seed=k)) for k in range(plan.threads)]


def _bodies(prefix: str, parts: list[list[Row]], size: int) -> list[list[bytes]]:
    return [
        [
            json_batch(f"{prefix}-{k}", part[i : i + size])
            for i in range(0, len(part), size)
        ]
        for k, part in enumerate(parts)
    ]


def measure(
    url: str, env: dict[str, str], secret: str, ids: dict[str, int], plan: IngestPlan
) -> IngestFigures:
    parts = _series(plan)
    # Every way of writing meets the partitions already there; creating them
    # is a one-off of the first batch of a month, not part of a rate.
    ensure_partitions(month_of(ts) for ts, _ in parts[0])
    figures = IngestFigures(
        api=Measurement(
            f"API, {plan.threads} threads, {plan.readings // BATCH} x {BATCH:,}",
            plan.readings,
        ),
        copy_rows=Measurement("COPY, write_row", plan.readings),
        copy_text=Measurement("COPY, text buffer", plan.readings),
    )

    with portal_server(env) as server:
        _warm_up(server.port, secret, parts)
        for rep in range(plan.repeat):
            progress(f"API and COPY, run {rep + 1} of {plan.repeat}")
            _repetition(url, server.port, secret, ids, parts, rep, figures)
    figures.server_peak_rss_mib = server.peak_rss_mib
    return figures


def _warm_up(port: int, secret: str, parts: list[list[Row]]) -> None:
    """A few small batches first: the workers' first requests load code and
    connect to the database, which is no part of a steady rate."""
    bodies = _bodies(
        "warm", [part[: 2 * _WARM_UP_BATCH] for part in parts], _WARM_UP_BATCH
    )
    api.send(port, secret, bodies, _WARM_UP_BATCH)


def _repetition(
    url: str,
    port: int,
    secret: str,
    ids: dict[str, int],
    parts: list[list[Row]],
    rep: int,
    figures: IngestFigures,
) -> None:
    bodies = _bodies(f"api-{rep}", parts, BATCH)
    figures.api.add(api.send(port, secret, bodies, BATCH))
    del bodies

    rows = [
        row
        for k, part in enumerate(parts)
        for row in copy_rows(ids[f"row-{rep}-{k}"], part)
    ]
    figures.copy_rows.add(dbcopy.copy_rows(url, rows))
    del rows

    text = b"".join(
        copy_text(ids[f"text-{rep}-{k}"], part) for k, part in enumerate(parts)
    )
    figures.copy_text.add(dbcopy.copy_text(url, text))
