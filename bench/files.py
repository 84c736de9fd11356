"""A large Acuview export imported with the CLI, then its energy recomputed.

Both run as the commands an operator would type, each in a child process,
so the peak memory is the whole process's: Django, the settings, the parser
and whatever the import holds. `portal check` loads only Django and the
settings, and its peak is the floor the import's is compared with.
"""

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.data import series_start, write_acuview_csv
from bench.processes import BenchError, run_portal
from bench.report import Measurement, progress
from portal.metering.models import EnergyInterval, Site, StaleSpan

_STORED = re.compile(r"(\d+) records, (\d+) stored")
_TIMEOUT = 1800.0


@dataclass(frozen=True)
class FilePlan:
    lines: int
    repeat: int

    def device_names(self) -> list[str]:
        return [f"import-{rep}" for rep in range(self.repeat)]


@dataclass
class FileFigures:
    check: Measurement
    imported: Measurement
    recompute: Measurement
    csv_bytes: int = 0
    recompute_passes: int = 0


def measure(env: dict[str, str], site: Site, plan: FilePlan) -> FileFigures:
    figures = FileFigures(
        check=Measurement("portal check (Django + settings only)"),
        imported=Measurement(f"portal import, {plan.lines:,} lines", plan.lines),
        recompute=Measurement("portal worker --once (energy)", plan.lines),
    )
    progress("portal check")
    for _ in range(plan.repeat):
        run = run_portal(["check"], env, timeout=120)
        figures.check.add(run.seconds, run.peak_rss_mib)

    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        path = Path(folder) / "CLD00000099_Data Log 1_bench.csv"
        start = series_start(plan.lines).astimezone(site.tz).replace(tzinfo=None)
        progress(f"writing a {plan.lines:,}-line Acuview export")
        write_acuview_csv(path, start, plan.lines)
        figures.csv_bytes = path.stat().st_size
        for rep, device in enumerate(plan.device_names(), start=1):
            progress(f"import and recompute, run {rep} of {plan.repeat}")
            _import(path, device, env, plan.lines, figures)
            _recompute(device, env, figures)
    return figures


def _import(
    path: Path, device: str, env: dict[str, str], lines: int, figures: FileFigures
) -> None:
    args = ["import", str(path), "--device", device, "--no-recompute"]
    run = run_portal(args, env, timeout=_TIMEOUT)
    found = _STORED.search(run.output)
    if found is None or int(found[2]) != lines:
        raise BenchError(f"expected {lines} readings stored:\n{run.output[-2000:]}")
    figures.imported.add(run.seconds, run.peak_rss_mib)


def _recompute(device: str, env: dict[str, str], figures: FileFigures) -> None:
    # Only this device's readings are to be recomputed; the API phase left
    # stale spans of its own devices behind.
    StaleSpan.objects.exclude(device__external_id=device).delete()

    # The worker logs a line per pass, which tells how it split the work.
    run = run_portal(["worker", "--once"], env, _TIMEOUT)
    if StaleSpan.objects.exists():
        raise BenchError(f"the worker left {device} stale:\n{run.output[-2000:]}")
    if not EnergyInterval.objects.filter(device__external_id=device).exists():
        raise BenchError(f"the worker stored no intervals:\n{run.output[-2000:]}")
    figures.recompute.add(run.seconds, run.peak_rss_mib)
    figures.recompute_passes = run.output.count('"energy.recomputed"')
