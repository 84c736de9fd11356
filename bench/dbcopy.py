"""The database's own limit: COPY of the API's rows straight into the readings table.

Two ways of feeding the COPY are timed. `write_row` converts Python values
as the ingest path does; a text buffer built before the clock starts leaves
the server alone on the clock. The faster of the two is the baseline the API
is compared with. Both commit inside the measurement, as each API batch does.
"""

import time

import psycopg

from portal.metering.quantities import QUANTITIES

_COPY = (
    f"COPY metering_reading ({', '.join(('device_id', 'ts', *QUANTITIES))}) FROM STDIN"
)


def copy_rows(url: str, rows: list[tuple]) -> float:
    """Seconds to COPY `rows` (tuples of the table's columns) with write_row."""
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def copy_text(url: str, buffer: bytes) -> float:
    """Seconds to COPY a buffer already in COPY's text format."""
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(_COPY) as copy:
            copy.write(buffer)
        conn.commit()
        return time.perf_counter() - started
