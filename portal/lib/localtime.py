"""Local days, hours and months of a site, as UTC instants.

Energy intervals are 15 minutes in UTC; a site's day is whatever its time zone
says: 92 intervals on the day the clocks go forward, 100 when they go back,
and starting at 18:30 UTC for a site in India. These helpers turn local
calendar boundaries into UTC instants; everything else sums intervals between
them.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUCKETS = ("interval", "hour", "day", "month")


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `tz`.

    Where midnight itself does not exist (a zone that springs forward at
    00:00), the day begins at the first instant after the gap."""
    naive = datetime.combine(day, time())
    local = naive.replace(tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        # Nonexistent local time: zoneinfo shifts it by the gap; take the later side.
        utc = local.replace(fold=1).astimezone(UTC)
    return utc


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bucket_starts(
    start: date, end: date, bucket: str, tz: ZoneInfo
) -> Iterator[datetime]:
    """UTC instants at which each bucket in [start, end) begins, local days
    being those of `tz`. For "interval" and "hour", buckets are fixed lengths of
    UTC time from the local start; local hours of a 25-hour day are 25."""
    begin = local_midnight(start, tz)
    finish = local_midnight(end, tz)
    if bucket in ("interval", "hour"):
        step = timedelta(minutes=15) if bucket == "interval" else timedelta(hours=1)
        current = begin
        while current < finish:
            yield current
            current += step
        return

    day = start if bucket == "day" else date(start.year, start.month, 1)
    while day < end:
        yield local_midnight(max(day, start), tz)
        day = day + timedelta(days=1) if bucket == "day" else first_of_next_month(day)
