"""JSON log lines: one event per line, a stable event name, ids as fields.

Call sites log the event name as the message and the facts as `extra`:

    logger.info("ingest.batch", extra={"accepted": 10, "ms": 4.2})
"""

from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter


class JsonFormatter(_LibraryJsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"message": "event", "levelname": "level"})
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_record: dict[str, Any], record: Any, message_dict: dict[str, Any]
    ) -> None:
        log_record["ts"] = datetime.fromtimestamp(record.created, UTC).isoformat()
        super().add_fields(log_record, record, message_dict)
