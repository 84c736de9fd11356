"""`python -m bench`: measure ingest and import here; print and save the figures.

Timings on a shared machine are noisy, so nothing here asserts a time: every
figure is the median of `--repeat` runs, and the API is judged by its ratio
to COPY measured in the same run on the same data.
"""

import argparse
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench.database import (
    create_fixtures,
    scratch_database,
    server_version,
    setup_django,
    var_dir,
)
from bench.processes import BenchError, child_env, machine
from bench.report import Measurement, progress, table, write_json

if TYPE_CHECKING:
    from bench.bills import BillFigures
    from bench.files import FileFigures
    from bench.ingest import IngestFigures

# The aim for API / COPY, and the least it accepts.
RATIO_AIM, RATIO_FLOOR = 0.5, 0.3
RSS_AIM_MIB = 300
BILLS_AIM_SECONDS = 1.0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add = parser.add_argument
    add("--repeat", type=_positive, default=3, help="runs of each measurement")
    add("--batches", type=_positive, default=20, help="API batches of 5,000 a run")
    add("--threads", type=_positive, default=2, help="API client threads")
    add("--lines", type=_positive, default=1_000_000, help="lines of the CSV")
    add(
        "--only",
        choices=("all", "bills"),
        default="all",
        help="run every measurement, or only the bills",
    )
    options = parser.parse_args(argv)
    if options.batches < options.threads:
        parser.error("--batches must be at least --threads (a batch per thread)")
    return options


@dataclass
class Run:
    options: dict[str, Any]
    ingest: "IngestFigures | None"
    files: "FileFigures | None"
    bills: "BillFigures"
    postgres: str

    def measurements(self) -> list[Measurement]:
        found = []
        if self.ingest is not None:
            i = self.ingest
            found += [i.api, i.copy_rows, i.copy_text]
        if self.files is not None:
            f = self.files
            found += [f.check, f.imported, f.recompute]
        b = self.bills
        return [*found, b.fetch, b.bills, b.daily_costs]

    @property
    def import_over_check(self) -> float:
        assert self.files is not None
        floor = self.files.check.median_peak_rss_mib or 0.0
        return (self.files.imported.median_peak_rss_mib or 0.0) / (floor or 1.0)


def _run(url: str, options: argparse.Namespace) -> Run:
    setup_django(url)
    # Imported only now: they import the portal's models, which need the
    # settings, which read DATABASE_URL once.
    from bench import bills, files, ingest

    if options.only == "bills":
        bill_figures = bills.measure(options.repeat)
        return Run(vars(options), None, None, bill_figures, server_version())

    ingest_plan = ingest.IngestPlan(options.batches, options.threads, options.repeat)
    file_plan = files.FilePlan(options.lines, options.repeat)
    site, ids, secret = create_fixtures(
        ingest_plan.device_names() + file_plan.device_names()
    )
    env = child_env(url)

    ingest_figures = ingest.measure(url, env, secret, ids, ingest_plan)
    file_figures = files.measure(env, site, file_plan)
    bill_figures = bills.measure(options.repeat)
    return Run(
        vars(options), ingest_figures, file_figures, bill_figures, server_version()
    )


def _figures(run: Run) -> dict[str, Any]:
    """Everything the table shows, for docs to quote."""
    figures = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "python": platform.python_version(),
        "postgresql": run.postgres,
        "options": run.options,
        "measurements": [m.summary() for m in run.measurements()],
        "bills_seconds": round(run.bills.bills.median_seconds, 3),
        "bills_over_reading_intervals": round(run.bills.ratio, 2),
    }
    if run.ingest is None or run.files is None:
        return figures
    i, f = run.ingest, run.files
    return figures | {
        "copy_baseline": i.baseline.label,
        "ratio_api_to_copy": round(i.ratio, 3),
        "api_server_peak_rss_mib": round(i.server_peak_rss_mib, 1),
        "import_peak_rss_over_check": round(run.import_over_check, 2),
        "csv_bytes": f.csv_bytes,
        "recompute_passes": f.recompute_passes,
    }


def _verdict(ratio: float) -> str:
    if ratio >= RATIO_AIM:
        return "meets the aim"
    if ratio >= RATIO_FLOOR:
        return "above the floor, below the aim"
    return "BELOW the floor"


def _facts(run: Run, figures: dict[str, Any]) -> dict[str, str]:
    b = run.bills
    bills = {
        "bills for a year": f"{b.bills.median_seconds:.2f} s "
        f"(aim < {BILLS_AIM_SECONDS:.0f} s), {b.ratio:.1f} x reading the intervals",
        "machine": ", ".join(f"{k} {v}" for k, v in figures["machine"].items()),
        "PostgreSQL": figures["postgresql"],
    }
    if run.ingest is None or run.files is None:
        return bills
    i, f = run.ingest, run.files
    peak = f.imported.median_peak_rss_mib or 0.0
    floor = f.check.median_peak_rss_mib or 0.0
    return bills | {
        "API / COPY": f"{i.ratio:.2f} against {i.baseline.label} "
        f"(aim {RATIO_AIM}, floor {RATIO_FLOOR}: {_verdict(i.ratio)})",
        "import peak RSS": f"{peak:.0f} MiB (aim < {RSS_AIM_MIB}), "
        f"{run.import_over_check:.2f} x portal check, +{peak - floor:.0f} MiB",
        "API server peak RSS": f"{i.server_peak_rss_mib:.0f} MiB (largest process)",
        "recompute passes": str(f.recompute_passes),
        "machine": ", ".join(f"{k} {v}" for k, v in figures["machine"].items()),
        "PostgreSQL": figures["postgresql"],
    }


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    progress("setting up a scratch database")
    try:
        with scratch_database() as url:
            run = _run(url, options)
    except BenchError as error:
        sys.stderr.write(f"bench failed: {error}\n")
        return 1

    figures = _figures(run)
    path = write_json(var_dir() / "bench", figures)
    facts = _facts(run, figures) | {"figures saved to": str(path)}
    sys.stdout.write(table(run.measurements(), facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
