"""Who may open each page, declared on the view itself.

Every view in `portal.web.urls` is wrapped by `rule(...)`, which both
enforces the rule and records it, so a test can walk the URL patterns and
fail on any route that declares nothing:

- "anonymous": anyone, signed in or not (the sign-in page, sign-out).
- "user": any signed-in user; others are sent to the sign-in page.
- "admin": a signed-in user with `is_staff`; other signed-in users get 403.

Which sites and devices a signed-in user sees is a separate question,
answered by `portal.metering.access`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

Rule = Literal["anonymous", "user", "admin"]
RULES: tuple[Rule, ...] = ("anonymous", "user", "admin")

# "module.qualname" of each wrapped view -> its rule, for tests and audits.
REGISTRY: dict[str, Rule] = {}

View = Callable[..., HttpResponseBase]


def rule(kind: Rule) -> Callable[[View], View]:
    if kind not in RULES:
        raise ValueError(f"unknown rule {kind!r}; expected one of {RULES}")

    def decorate(view: View) -> View:
        guarded = view if kind == "anonymous" else _signed_in(view, kind)
        guarded.portal_rule = kind  # type: ignore[attr-defined]
        REGISTRY[_name(view)] = kind
        return guarded

    return decorate


def rule_of(view: Callable[..., Any]) -> Rule | None:
    """The rule a URL pattern's callback declares, or None."""
    return getattr(view, "portal_rule", None)


def _signed_in(view: View, kind: Rule) -> View:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return _to_sign_in(request)
        if kind == "admin" and not request.user.is_staff:
            raise PermissionDenied("only an admin may do this")
        return view(request, *args, **kwargs)

    return guarded


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    """Send the browser to the sign-in page. For HTMX (a dashboard refresh
    after the session ended) the whole page must go there, not one fragment."""
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
    return redirect_to_login(request.get_full_path())


def _name(view: Callable[..., Any]) -> str:
    """A class-based view is named by its class: every as_view() function
    has the same qualified name."""
    named = getattr(view, "view_class", view)
    return f"{named.__module__}.{named.__qualname__}"
