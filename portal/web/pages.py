"""Answering a page: the whole page normally, one fragment to HTMX.

Each page template marks its swappable parts with `{% partialdef NAME inline %}`.
A request that HTMX makes to swap part of a page gets the partial named by
the element it targets (or "content"); everything else gets the page.
"""

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


def wants_fragment(request: HttpRequest) -> bool:
    """An HTMX request that swaps part of the page. History restores and
    requests aimed at the whole body (htmx 4 says so in HX-Request-Type) want
    the full page."""
    htmx = request.htmx  # type: ignore[attr-defined]
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return htmx.request_type != "full"


def htmx_target(request: HttpRequest) -> str:
    """The id of the element HTMX will swap: htmx 4 sends "tag#id", htmx 2 "id"."""
    target = request.htmx.target or ""  # type: ignore[attr-defined]
    return target.rpartition("#")[2]


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    fragments: Mapping[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`, or for HTMX its partial: the one `fragments` maps the
    target's id to, else "content"."""
    name = template
    if wants_fragment(request):
        partial = (fragments or {}).get(htmx_target(request), "content")
        name = f"{template}#{partial}"

    response = render(request, name, context, status=status)
    # The same URL answers two shapes; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def redirect_after_change(request: HttpRequest, to: str, *args: object) -> HttpResponse:
    """After a successful POST: an ordinary redirect, or for HTMX an
    HX-Redirect, since a 302 would be followed and swapped into the page."""
    url = resolve_url(to, *args)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return redirect(url)


def page_of(
    request: HttpRequest, rows: QuerySet, per_page: int, param: str = "page"
) -> Page:
    """One page of `rows`; a page number out of range gives the nearest page."""
    return Paginator(rows, per_page).get_page(request.GET.get(param))
