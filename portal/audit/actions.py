"""Writing the audit trail. Every action that changes settings calls `record`
in its own transaction, so the change and its row commit together."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

from portal.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who made a change, and from where."""

    user: Any = None  # a User, or None for the command line and the system
    address: str = ""
    label: str = "system"

    @classmethod
    def of(cls, request: HttpRequest) -> "Actor":
        user = request.user if request.user.is_authenticated else None
        label = user.email if user is not None else "anonymous"
        return cls(user=user, address=client_address(request), label=label)


def client_address(request: HttpRequest) -> str:
    """The client's address: behind PORTAL_PROXY_COUNT proxies, from the
    X-Forwarded-For they set, else the connection's own."""
    count = settings.PORTAL_PROXY_COUNT
    if not count:
        return request.META.get("REMOTE_ADDR", "")
    address, _ = get_client_ip(
        request,
        proxy_order="right-most",
        proxy_count=count,
        request_header_order=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
    )
    return address or request.META.get("REMOTE_ADDR", "")


COMMAND_LINE = Actor(label="command line")
SYSTEM = Actor()


def record(
    by: Actor | None, action: str, target: str, changes: dict[str, Any]
) -> AuditEntry:
    by = by or SYSTEM
    return AuditEntry.objects.create(
        actor=by.user,
        actor_label=by.label,
        address=by.address[:64],
        action=action,
        target=target[:200],
        changes=changes,
    )


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields whose values differ, as {"field": {"before", "after"}}."""
    return {
        name: {"before": _plain(before.get(name)), "after": _plain(after.get(name))}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def _plain(value: Any) -> Any:
    """JSON-friendly: sites and other objects by their text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)
