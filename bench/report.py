"""The figures of one run: medians, a compact table, a JSON file under var/bench/."""

import json
import statistics
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Measurement:
    """Repeated runs of one thing; every figure quoted is a median of the runs."""

    label: str
    readings: int = 0  # handled by each run; 0 when the thing is not a rate
    seconds: list[float] = field(default_factory=list)
    peak_rss_mib: list[float] = field(default_factory=list)

    def add(self, seconds: float, peak_rss_mib: float | None = None) -> None:
        self.seconds.append(round(seconds, 4))
        if peak_rss_mib is not None:
            self.peak_rss_mib.append(round(peak_rss_mib, 1))

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float | None:
        return self.readings / self.median_seconds if self.readings else None

    @property
    def median_peak_rss_mib(self) -> float | None:
        return statistics.median(self.peak_rss_mib) if self.peak_rss_mib else None

    def summary(self) -> dict[str, object]:
        return {
            **asdict(self),
            "median_seconds": round(self.median_seconds, 3),
            "readings_per_second": round(self.rate) if self.rate else None,
            "median_peak_rss_mib": self.median_peak_rss_mib,
        }


def progress(step: str) -> None:
    """A line on stderr, so a run of several minutes shows where it is."""
    sys.stderr.write(f"bench: {step}\n")
    sys.stderr.flush()


def _row(m: Measurement) -> str:
    rate = f"{m.rate:>12,.0f}" if m.rate else f"{'-':>12}"
    peak = m.median_peak_rss_mib
    rss = f"{peak:>10,.0f}" if peak is not None else f"{'-':>10}"
    return f"{m.label:<40} {m.median_seconds:>9.2f} {rate} {rss} {len(m.seconds):>5}"


def table(measurements: list[Measurement], facts: dict[str, str]) -> str:
    """The run as text: one line per measurement, then the derived figures."""
    head = (
        f"{'median of runs':<40} {'seconds':>9} {'readings/s':>12}"
        f" {'RSS MiB':>10} {'runs':>5}"
    )
    lines = [head, "-" * len(head), *(_row(m) for m in measurements), ""]
    width = max(len(name) for name in facts)
    lines += [f"{name:<{width}}  {value}" for name, value in facts.items()]
    return "\n".join(lines) + "\n"


def write_json(directory: Path, figures: dict[str, object]) -> Path:
    """Write the figures to a new timestamped file and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"bench-{stamp}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return path
