"""Failed sign-ins are throttled per account and per client address."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.accounts.models import User

START = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def alice(db):
    return User.objects.create_user(
        email="alice@example.com", password="right-pass-123"
    )


def sign_in(client, email, password, address="203.0.113.7"):
    return client.post(
        "/login", {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_five_failures_lock_the_account_even_from_another_address(
    client, alice, caplog
):
    with time_machine.travel(START, tick=False), caplog.at_level(logging.WARNING):
        for n in range(4):
            assert (
                sign_in(
                    client, alice.email, "wrong", address=f"198.51.100.{n}"
                ).status_code
                == 200
            )
        # The fifth failure locks the account at once...
        assert (
            sign_in(client, alice.email, "wrong", address="198.51.100.4").status_code
            == 429
        )
        # ...and then even the right password from a new address waits.
        locked = sign_in(client, alice.email, "right-pass-123", address="192.0.2.99")

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "15 min" in locked.content.decode()
    assert any(r.getMessage() == "accounts.sign_in_locked" for r in caplog.records)


def test_five_failures_from_one_address_lock_that_address_for_any_account(
    client, alice, db
):
    User.objects.create_user(email="bob@example.com", password="bobs-pass-123")
    with time_machine.travel(START, tick=False):
        for n in range(5):
            sign_in(client, f"guess{n}@example.com", "wrong")
        locked = sign_in(client, "bob@example.com", "bobs-pass-123")
        elsewhere = sign_in(
            client, "bob@example.com", "bobs-pass-123", address="192.0.2.1"
        )

    assert locked.status_code == 429
    assert elsewhere.status_code == 302  # the same account from another address


def test_the_lock_ends_after_the_cool_off(client, alice):
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            sign_in(client, alice.email, "wrong")
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        response = sign_in(client, alice.email, "right-pass-123")

    assert response.status_code == 302


def test_a_success_clears_earlier_failures(client, alice):
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            sign_in(client, alice.email, "wrong")
        assert sign_in(client, alice.email, "right-pass-123").status_code == 302
        client.post("/logout")
        for _ in range(4):
            sign_in(client, alice.email, "wrong")
        response = sign_in(client, alice.email, "right-pass-123")

    assert response.status_code == 302


def test_an_address_signs_in_whatever_its_case_and_is_throttled_as_one(client, alice):
    with time_machine.travel(START, tick=False):
        assert sign_in(client, "ALICE@Example.com", "right-pass-123").status_code == 302
        client.post("/logout")
        for variant in (
            "Alice@example.com",
            "ALICE@example.com",
            "alice@EXAMPLE.com",
            "aLiCe@example.com",
        ):
            sign_in(client, variant, "wrong", address="198.51.100.1")
        locked = sign_in(client, "alice@example.com", "wrong", address="198.51.100.2")

    assert locked.status_code == 429  # five failures of one account, however written
