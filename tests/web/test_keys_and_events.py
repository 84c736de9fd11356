"""Ingest keys (the secret is shown once) and the ingest events list."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from portal.ingest.keys import authenticate, create_key
from portal.ingest.models import IngestEvent, IngestKey


def test_it_shows_a_new_keys_secret_once_and_never_again(as_admin, admin):
    response = as_admin.post(
        reverse("keys"), {"name": "Plant gateway", "scope": "ingest"}
    )

    secret = response.context["secret"]
    assert secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    key = IngestKey.objects.get()
    assert (key.name, key.created_by) == ("Plant gateway", admin)
    assert authenticate(secret, "ingest") == key

    later = as_admin.get(reverse("keys")).content
    assert secret.encode() not in later
    assert key.prefix.encode() in later


def test_it_re_renders_an_invalid_key_form_with_errors(as_admin, db):
    response = as_admin.post(reverse("keys"), {"name": "", "scope": "everything"})

    form = response.context["form"]
    assert set(form.errors) == {"name", "scope"}
    assert "secret" not in response.context
    assert not IngestKey.objects.exists()


def test_it_revokes_a_key_with_a_post(as_admin, db):
    key, secret = create_key("old gateway")
    url = reverse("key-revoke", args=[key.pk])

    assert as_admin.get(url).status_code == 405
    response = as_admin.post(url)

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert authenticate(secret, "ingest") is None


def test_it_answers_htmx_revocation_with_the_row(as_admin, db):
    key, _ = create_key("old gateway")

    response = as_admin.post(
        reverse("key-revoke", args=[key.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode().strip()
    assert html.startswith('<tr class="portal-inactive">')
    assert "Revoked" in html


def test_the_keys_page_answers_htmx_with_the_fragment(as_admin, db):
    response = as_admin.get(reverse("keys"), HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert b'id="key-form"' in response.content


def events(count: int) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    IngestEvent.objects.bulk_create(
        IngestEvent(
            received_at=start + timedelta(minutes=n),
            source=IngestEvent.Source.API,
            received=n,
            accepted=n,
            filename=f"batch-{n}",
        )
        for n in range(count)
    )


def test_it_lists_ingest_events_newest_first_a_page_at_a_time(as_user, db):
    events(55)

    first = as_user.get(reverse("ingest-events")).context["page"]
    second = as_user.get(reverse("ingest-events"), {"page": 2}).context["page"]

    assert [e.filename for e in first][:2] == ["batch-54", "batch-53"]
    assert (len(first), len(second)) == (50, 5)
    assert second[4].filename == "batch-0"


def test_the_ingest_events_pages_answer_htmx_with_the_list(as_user, db):
    events(55)

    response = as_user.get(
        reverse("ingest-events"),
        {"page": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="section#ingest-events",
    )

    html = response.content.decode().strip()
    assert html.startswith('<section id="ingest-events">')
    assert "batch-0" in html and "Ingest events</h1>" not in html


def test_it_shows_the_first_errors_of_a_batch(as_user, db):
    IngestEvent.objects.create(
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        source=IngestEvent.Source.FILE,
        rejected=1,
        errors=[
            {"index": 7, "device": "M1", "field": "v1_v", "reason": "not a number"}
        ],
    )

    response = as_user.get(reverse("ingest-events"))

    assert b"#7 M1 v1_v: not a number" in response.content
