"""The `portal` console script, run as a real process against the test database."""

import subprocess

import pytest

from tests.conftest import portal_command, portal_env

pytestmark = pytest.mark.django_db(transaction=True)


def portal(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*portal_command(), *args],
        env=portal_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_provisioning_a_site_a_device_and_a_key(tmp_path, client):
    site = portal(
        tmp_path,
        "sites",
        "add",
        "--code",
        "JHB",
        "--name",
        "Plant",
        "--timezone",
        "Africa/Johannesburg",
    )
    device = portal(
        tmp_path,
        "devices",
        "add",
        "--site",
        "JHB",
        "--external-id",
        "M1",
        "--name",
        "Main",
    )
    key = portal(tmp_path, "keys", "create", "--name", "gateway")

    assert (site.returncode, device.returncode, key.returncode) == (0, 0, 0)
    secret = key.stdout.strip()
    assert secret.startswith("pk_") and "\n" not in secret  # the secret alone on stdout
    response = client.post(
        "/api/v1/readings",
        data={
            "readings": [
                {"device": "M1", "time": "2026-03-02T08:00:00Z", "kwh_import": 1.0}
            ]
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "sites",
                "add",
                "--code",
                "X",
                "--name",
                "N",
                "--timezone",
                "Mars/Olympus",
            ),
            "not an IANA time zone",
        ),
        (
            ("sites", "add", "--code", "bad code!", "--name", "N", "--timezone", "UTC"),
            "code:",
        ),
        (
            ("devices", "add", "--site", "NOPE", "--external-id", "M", "--name", "N"),
            "no site with code 'NOPE'",
        ),
        (("keys", "create", "--name", "k", "--scope", "everything"), "invalid choice"),
        (("keys", "revoke", "pk_nothing"), "no key with prefix"),
        (
            ("import", "/nonexistent.csv", "--device", "M"),
            "no device with external id 'M'",
        ),
    ],
)
def test_a_failure_exits_non_zero_with_one_clear_line(tmp_path, args, message):
    result = portal(tmp_path, *args)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(errors) <= 2  # argparse prints its usage line above the error
    assert message in errors[-1]


@pytest.mark.parametrize(
    "command",
    ["serve", "worker", "run", "migrate", "import", "sites", "devices", "keys"],
)
def test_every_command_has_help(tmp_path, command):
    result = portal(tmp_path, command, "--help")

    assert result.returncode == 0
    assert "usage:" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("serve", "--bind", "127.0.0.1:99999"), "port from 1 to 65535"),
        (("serve", "--bind", "nonsense"), "HOST:PORT"),
        (("worker", "--concurrency", "0"), "at least 1"),
    ],
)
def test_bad_service_options_are_one_line_errors(tmp_path, args, message):
    result = portal(tmp_path, *args)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr.strip().splitlines()[-1]


def test_revoking_a_key_twice_says_so(tmp_path):
    secret = portal(tmp_path, "keys", "create", "--name", "k").stdout.strip()

    first = portal(tmp_path, "keys", "revoke", secret[:12])
    second = portal(tmp_path, "keys", "revoke", secret[:12])

    assert "revoked" in first.stdout
    assert "already revoked" in second.stdout


def test_portal_help_lists_the_portals_own_commands(tmp_path):
    result = portal(tmp_path, "--help")

    assert result.returncode == 0
    for command in ("run", "serve", "worker", "sites", "devices", "keys", "import"):
        assert f"\n  {command} " in result.stdout
    assert "startproject" not in result.stdout  # Django's own stay under `portal help`
