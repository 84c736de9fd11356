from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.branding.models import Branding


def branding(request: HttpRequest) -> dict[str, Any]:
    """The branding on every page, the sign-in page included; read once per
    request, and only by a template that shows it."""
    return {"branding": SimpleLazyObject(Branding.current)}
