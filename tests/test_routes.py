"""Every route declares who may use it (DESIGN: security).

Pages and health checks declare a rule with `portal.web.rules.rule`; API
operations declare an authentication (an ingest key, a read key or a
session). A route that declares nothing fails this test.
"""

import re

from django.urls import URLPattern, URLResolver, get_resolver

from portal.api import api
from portal.web.rules import rule_of

# The API's own documentation is public, like the OpenAPI document it shows.
PUBLIC_API_ROUTES = {"api-root", "openapi-json", "openapi-view"}


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_every_page_declares_a_rule():
    undeclared = [
        route
        for route, pattern in walk(get_resolver().url_patterns)
        if not route.startswith("api/") and rule_of(pattern.callback) is None
    ]

    assert undeclared == []


def test_every_api_operation_requires_authentication():
    schema = api.get_openapi_schema()
    unauthenticated = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not operation.get("security")
    ]

    assert unauthenticated == []


def test_every_api_route_is_an_operation_or_the_public_documentation():
    schema_paths = {
        path.removeprefix("/api/") for path in api.get_openapi_schema()["paths"]
    }
    routes = [
        (route, p)
        for route, p in walk(get_resolver().url_patterns)
        if route.startswith("api/")
    ]

    for route, pattern in routes:
        as_openapi = re.sub(r"<(\w+)>", r"{\1}", route.removeprefix("api/"))
        assert pattern.name in PUBLIC_API_ROUTES or as_openapi in schema_paths, route
