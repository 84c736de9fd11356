from django.http import HttpRequest

from portal.branding.models import Branding


def branding(request: HttpRequest) -> dict[str, Branding]:
    """The branding on every page, the sign-in page included."""
    return {"branding": Branding.current()}
