from django.urls import include, path

from portal.api import api
from portal.web import health

urlpatterns = [
    path("health", health.health, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("api/", api.urls),
    path("", include("portal.web.urls")),
]
