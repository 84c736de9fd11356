"""Personas and meters for the page tests.

Three personas: an admin, a signed-in user who is not an admin, and an
anonymous visitor (the plain `client`).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client

from portal.accounts.models import User
from portal.ingest.actions import ingest_records
from portal.ingest.records import ReadingRecord
from portal.metering.actions import create_device, create_site


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_superuser(email="boss@example.com", password="pw-boss-1")


@pytest.fixture
def member(db) -> User:
    return User.objects.create_user(email="viewer@example.com", password="pw-viewer-1")


@pytest.fixture
def as_admin(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def as_user(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def plant(db):
    return create_site(code="PLANT", name="Plant", timezone="Africa/Johannesburg")


@pytest.fixture
def meter(plant):
    return create_device(
        site=plant, external_id="CLD00000009", name="Incomer", serial="SN9"
    )


Values = Callable[[int, datetime], dict[str, float]]


def register_rising(index: int, ts: datetime) -> dict[str, float]:
    """1 kWh a minute on the import register, 60 kW."""
    return {"kwh_import": 1000.0 + index, "p_kw": 60.0}


@pytest.fixture
def feed() -> Callable[..., list[ReadingRecord]]:
    """Store readings for a device: `count` of them from `start`, `step` apart."""

    def store(
        device,
        start: datetime,
        count: int,
        step: timedelta = timedelta(minutes=1),
        values: Values = register_rising,
    ) -> list[ReadingRecord]:
        records = [
            ReadingRecord(
                device.external_id, start + i * step, values(i, start + i * step)
            )
            for i in range(count)
        ]
        ingest_records(records, source="api")
        return records

    return store
