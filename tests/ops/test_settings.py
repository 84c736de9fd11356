"""Settings refuse what they cannot work with, before anything starts."""

import subprocess
import sys

import pytest

SETUP = "import django; django.setup()"


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "PORTAL_SECRET_KEY"),
        ({"PORTAL_SECRET_KEY": "x" * 50}, "PORTAL_ADMIN_PASSWORD"),
        (
            {"PORTAL_SECRET_KEY": "x" * 50, "PORTAL_ADMIN_PASSWORD": "a-long-password"},
            "DATABASE_URL",
        ),
    ],
)
def test_production_refuses_to_start_without_its_secrets(env, missing):
    result = start({"PORTAL_ENV": "production", **env})

    assert result.returncode != 0
    assert f"{missing} must be set when PORTAL_ENV=production" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_MODE": "server"}, "PORTAL_MODE must be one of client, admin"),
        (
            {"PORTAL_ENV": "staging"},
            "PORTAL_ENV must be one of development, production",
        ),
        (
            {
                "PORTAL_FUTURE_MARGIN_SECONDS": "soon",
                "DATABASE_URL": "postgresql://x@localhost/x",
            },
            "PORTAL_FUTURE_MARGIN_SECONDS must be a whole number",
        ),
    ],
)
def test_an_unknown_value_is_refused_with_the_variables_name(env, message):
    result = start(env)

    assert result.returncode != 0
    assert message in result.stderr


def test_production_turns_on_secure_cookies_hsts_and_csp(tmp_path):
    env = {
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "x" * 50,
        "PORTAL_ADMIN_PASSWORD": "a-long-password",
        "DATABASE_URL": "postgresql://portal@db.invalid/portal",
    }
    code = (
        SETUP + "; from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
        "\"'self'\" in s.CONTENT_SECURITY_POLICY['DIRECTIVES']['default-src'])"
    )
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr
