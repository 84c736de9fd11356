"""Ingest keys: random bearer secrets stored only as hashes.

A secret is `pk_` followed by 43 URL-safe characters (256 random bits). Its
first 12 characters are kept as a prefix so a person can tell keys apart and
so a lookup touches one row; the rest is compared as a SHA-256 digest in
constant time. A plain digest is enough: the secret has 256 bits of entropy,
so there is nothing to gain from a slow password hash.
"""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction

from portal.audit.actions import Actor, changes_between, record
from portal.ingest.models import IngestKey

SECRET_PREFIX = "pk_"
PREFIX_LENGTH = 12


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    name: str,
    scope: str = IngestKey.Scope.INGEST,
    created_by=None,  # type: ignore[no-untyped-def]
    by: Actor | None = None,
) -> tuple[IngestKey, str]:
    """Create a key and return it with its secret, which is never shown again."""
    name = name.strip()
    if not name:
        raise ValueError("a key needs a name")
    if scope not in IngestKey.Scope.values:
        raise ValueError(f"scope must be one of {', '.join(IngestKey.Scope.values)}")

    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = IngestKey.objects.create(
            name=name[:100],
            prefix=secret[:PREFIX_LENGTH],
            secret_hash=hash_secret(secret),
            scope=scope,
            created_by=created_by,
        )
        # The prefix identifies the key; the secret and its hash never enter the trail.
        after = {"name": key.name, "scope": scope, "prefix": key.prefix}
        record(by, "key.created", f"key {key.name}", changes_between({}, after))
    return key, secret


def revoke_key(key: IngestKey, by: Actor | None = None) -> None:
    if key.revoked_at is None:
        with transaction.atomic():
            key.revoked_at = datetime.now(UTC)
            key.save(update_fields=["revoked_at"])
            diff = {"revoked": {"before": False, "after": True}}
            record(by, "key.revoked", f"key {key.name} ({key.prefix})", diff)


def authenticate(secret: str, scope: str) -> IngestKey | None:
    """The active key of this scope whose secret this is, or None."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None

    digest = hash_secret(secret)
    candidates = IngestKey.objects.filter(
        prefix=secret[:PREFIX_LENGTH], scope=scope, revoked_at__isnull=True
    )
    for key in candidates:
        if hmac.compare_digest(key.secret_hash, digest):
            return key
    return None


def note_key_used(key: IngestKey) -> None:
    """Keep "last used" current to the minute, without a write per request."""
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        IngestKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
