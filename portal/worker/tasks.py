"""Background jobs. Each is a thin call into an action.

Ingest queues `recompute_device` after commit, with one queued job per device
at most (a queueing lock), so a busy meter never piles up jobs; the periodic
sweep catches anything whose job was lost (a crash between commit and queue).
"""

import logging

from procrastinate import exceptions as procrastinate_exceptions
from procrastinate.contrib.django import app

from portal.metering import actions as metering_actions

logger = logging.getLogger("portal.worker")


@app.task(queue="energy", name="recompute_device")
def recompute_device(device_id: int) -> None:
    while metering_actions.recompute_next_stale(device_id):
        pass


@app.periodic(cron="* * * * *")
@app.task(queue="energy", name="recompute_sweep", queueing_lock="recompute_sweep")
def recompute_sweep(timestamp: int) -> None:
    metering_actions.recompute_stale(limit=1000)


def queue_recompute(device_ids: list[int]) -> None:
    """Ask the worker to recompute these devices; never fails the caller."""
    for device_id in device_ids:
        try:
            recompute_device.configure(queueing_lock=f"recompute-{device_id}").defer(
                device_id=device_id
            )
        except procrastinate_exceptions.AlreadyEnqueued:
            pass  # a job for this device is already waiting and will see the new span
        except Exception:
            # The stale span is committed; the periodic sweep will pick it up.
            logger.warning(
                "worker.queue_failed", extra={"device_id": device_id}, exc_info=True
            )
