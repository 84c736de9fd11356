"""Ingest keys: list, create (the secret is shown on the answer, once) and revoke."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from portal.audit.actions import Actor
from portal.ingest.keys import create_key, revoke_key
from portal.ingest.models import IngestKey
from portal.web.forms import KeyForm
from portal.web.pages import redirect_after_change, render_page
from portal.web.rules import rule


@rule("admin")
def key_list(request: HttpRequest) -> HttpResponse:
    """The keys, and the form that creates one."""
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = create_key(
                form.cleaned_data["name"],
                form.cleaned_data["scope"],
                created_by=request.user,
                by=Actor.of(request),
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            return _secret_once(request, key, secret)

    keys = IngestKey.objects.select_related("created_by")
    return render_page(request, "web/keys/list.html", {"form": form, "keys": keys})


def _secret_once(request: HttpRequest, key: IngestKey, secret: str) -> HttpResponse:
    """Only the hash is stored, so this answer is the one chance to copy the
    secret; no browser or proxy may keep a copy of it."""
    context = {"key": key, "secret": secret}
    response = render_page(request, "web/keys/created.html", context)
    add_never_cache_headers(response)
    return response


@rule("admin")
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(IngestKey, pk=pk)

    revoke_key(key, by=Actor.of(request))

    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/keys/list.html#key_row", {"key": key})
    messages.success(request, f"Key “{key.name}” revoked; it no longer works.")
    return redirect_after_change(request, "keys")
