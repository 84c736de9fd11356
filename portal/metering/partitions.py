"""Monthly partitions of the readings table.

A partition is created before the first reading of its month is written:
startup makes the months around today, and the ingest path makes the months
of each batch (old backfills, meters whose clock is at the factory date).
"""

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.db import connection, transaction

logger = logging.getLogger("portal.metering")

# Partitions this process knows to exist in committed data; the portal never
# drops one. Filled after commit only: a rolled-back creation must not be
# remembered.
_known: set[date] = set()

# Any constant works; it only has to be the same in every portal process.
_PARTITION_LOCK_ID = 0x50_4F_52_54


def month_of(ts: datetime) -> date:
    utc = ts.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"metering_reading_{month.year:04d}{month.month:02d}"


def ensure_partitions(months: Iterable[date]) -> list[str]:
    """Create the missing partitions of these months; return their names."""
    wanted = sorted({m for m in months if m not in _known})
    if not wanted:
        return []

    created: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        # Two processes creating the same partition at once would collide.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PARTITION_LOCK_ID])
        for month in wanted:
            if _create_partition(cursor, month):
                created.append(partition_name(month))

        transaction.on_commit(lambda: _known.update(wanted))
    return created


def _create_partition(cursor, month: date) -> bool:  # type: ignore[no-untyped-def]
    name = partition_name(month)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False

    lower = datetime(month.year, month.month, 1, tzinfo=UTC)
    upper_month = next_month(month)
    upper = datetime(upper_month.year, upper_month.month, 1, tzinfo=UTC)
    cursor.execute(
        f"CREATE TABLE {name} PARTITION OF metering_reading "
        f"FOR VALUES FROM ('{lower.isoformat()}') TO ('{upper.isoformat()}')"
    )
    return True


def ensure_partitions_around(
    today: date, months_back: int = 1, months_ahead: int = 2
) -> list[str]:
    first = add_months(date(today.year, today.month, 1), -months_back)
    return ensure_partitions(
        add_months(first, i) for i in range(months_back + months_ahead + 1)
    )


def forget_known_partitions() -> None:
    """For tests that recreate the database: the cache would otherwise lie."""
    _known.clear()
