"""How API callers prove who they are: an ingest key as a bearer token.

AXM-WEB2 modules can only send Basic credentials on some firmware, so the key
is also accepted as the password of HTTP Basic (the user name is ignored).
"""

import base64
import binascii

from django.http import HttpRequest
from ninja.security import django_auth
from ninja.security.base import AuthBase

from portal.ingest.keys import authenticate, note_key_used
from portal.ingest.models import IngestKey


class IngestKeyAuth(AuthBase):
    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> IngestKey | None:
        secret = _secret_from_header(request.headers.get("Authorization", ""))
        if secret is None:
            return None
        key = authenticate(secret, self.scope)
        if key is not None:
            request.ingest_key = key  # type: ignore[attr-defined]
            note_key_used(key)
        return key


def _secret_from_header(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


ingest_key = IngestKeyAuth(IngestKey.Scope.INGEST)
read_key = IngestKeyAuth(IngestKey.Scope.READ)
session_or_read_key = [django_auth, read_key]
