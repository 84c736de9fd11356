"""Branding: admins set title, colours and logo; every page shows them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from portal.audit.actions import Actor
from portal.branding.actions import (
    MAX_LOGO_BYTES,
    media_dir,
    reset_branding,
    set_logo,
    update_branding,
)
from portal.branding.models import Branding
from portal.web.forms import BrandingForm
from portal.web.pages import redirect_after_change, render_page
from portal.web.rules import rule

# Pico sets its colours on `:root:not([data-theme=dark])` and the like; the
# same specificity, in a stylesheet loaded after Pico's, takes precedence.
_CSS = """:root, :root:not([data-theme]), :root:not([data-theme=dark]),
:root[data-theme] {{
  --portal-primary: {primary};
  --portal-accent: {accent};
  --pico-primary: {primary};
  --pico-primary-background: {primary};
  --pico-primary-border: {primary};
  --pico-primary-hover: {accent};
  --pico-primary-hover-background: {accent};
  --pico-primary-hover-border: {accent};
}}
"""


@rule("admin")
def branding_edit(request: HttpRequest) -> HttpResponse:
    branding = Branding.current()
    initial = {
        "title": branding.title,
        "primary_color": branding.primary_color,
        "accent_color": branding.accent_color,
    }
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _saved(form, Actor.of(request)):
        messages.success(request, "Branding saved.")
        return redirect_after_change(request, "branding")
    status = 400 if form.errors else 200
    context = {"form": form, "branding": branding}
    return render_page(request, "web/branding.html", context, status=status)


def _saved(form: BrandingForm, by: Actor) -> bool:
    data = dict(form.cleaned_data)
    logo = data.pop("logo", None)
    try:
        if logo and logo.size > MAX_LOGO_BYTES:
            message = f"A logo may be at most 1 MB; this one is {logo.size:,} bytes."
            raise ValidationError(message)
        if logo:
            set_logo(logo.read(MAX_LOGO_BYTES + 1), by=by)
        update_branding(**data, by=by)
    except ValidationError as error:
        form.add_error("logo" if logo else None, error)
        return False
    return True


@rule("admin")
@require_POST
def branding_reset(request: HttpRequest) -> HttpResponse:
    reset_branding(by=Actor.of(request))
    messages.success(request, "Branding reset to the defaults.")
    return redirect_after_change(request, "branding")


@rule("anonymous")
def branding_css(request: HttpRequest) -> HttpResponse:
    """The colours as a stylesheet: the CSP allows no inline styles."""
    branding = Branding.current()
    css = _CSS.format(primary=branding.primary_color, accent=branding.accent_color)
    response = HttpResponse(css, content_type="text/css")
    response["Cache-Control"] = "public, max-age=300"
    return response


@rule("anonymous")
def branding_logo(request: HttpRequest) -> FileResponse:
    branding = Branding.current()
    if not branding.logo_file:
        raise Http404("no logo")
    path = media_dir() / branding.logo_file
    if not path.is_file():
        raise Http404("no logo")
    response = FileResponse(path.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    return response
