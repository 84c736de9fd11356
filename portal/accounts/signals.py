"""Sign-in warnings, as the portal's own log events."""

import logging
from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver

logger = logging.getLogger("portal.accounts")


@receiver(user_locked_out)
def warn_locked_out(
    sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any
) -> None:
    logger.warning(
        "accounts.sign_in_locked",
        extra={"username": (username or "")[:200], "ip_address": ip_address},
    )


def sign_in_name(request: Any, credentials: dict[str, Any] | None) -> str:
    """The address a sign-in tries, as the throttle counts it: lower case."""
    posted = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(posted).strip().lower()
