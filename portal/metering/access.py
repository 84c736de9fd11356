"""Which sites and devices a caller may see. Every page and API answer that
lists or fetches devices goes through here."""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from portal.metering.models import Device, Site


def visible_sites(request: HttpRequest) -> QuerySet[Site]:
    """Sites the caller may see: all of them for an admin, a key or an
    unrestricted user; the chosen ones for a user limited to sites."""
    user = getattr(request, "user", None)
    limited = (
        getattr(request, "ingest_key", None) is None
        and user is not None
        and user.is_authenticated
        and not user.is_staff
        and user.limited_to_sites
    )
    if limited:
        return Site.objects.filter(members=user)
    return Site.objects.all()


def visible_devices(request: HttpRequest) -> QuerySet[Device]:
    return Device.objects.select_related("site", "site__tariff").filter(
        site__in=visible_sites(request)
    )


def device_or_404(request: HttpRequest, external_id: str) -> Device:
    """A device the caller may see; any other answer is 404, so that a caller
    cannot tell a device it may not see from one that does not exist."""
    if "\x00" in external_id:
        raise Http404("no such device")
    device = visible_devices(request).filter(external_id=external_id).first()
    if device is None:
        raise Http404(f"no device {external_id!r}")
    return device


def site_or_404(request: HttpRequest, code: str) -> Site:
    """A site the caller may see, by code; any other answer is 404."""
    site = None
    if "\x00" not in code:
        site = visible_sites(request).select_related("tariff").filter(code=code).first()
    if site is None:
        raise Http404(f"no site {code!r}")
    return site
