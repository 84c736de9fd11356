"""The API documentation renders in a browser under the portal's content
security policy: Swagger UI comes from the portal's static files."""

import pytest

from tests.browser.conftest import keep_screenshot

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_api_documentation_lists_the_operations(page):
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or "violates" in message.text
            else None
        ),
    )

    page.goto("/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    keep_screenshot(page, "api-docs")

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/sites/{code}/bill" in [path.strip() for path in paths]
    assert refused == []
