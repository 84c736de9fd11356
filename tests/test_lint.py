"""The code stays ruff- and mypy-clean: `make test` fails otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# mypy's Django plugin imports the settings, and with no DATABASE_URL they
# attach to the embedded server; mypy leaves with os._exit, never detaching,
# so the server would outlive the tests. A URL it never connects to avoids it.
UNUSED_DATABASE = "postgresql://unused@localhost/unused"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": UNUSED_DATABASE}
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "."), ("ruff", "format", "--check", ".")],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff_is_clean(command):
    result = run(str(BIN / command[0]), *command[1:])

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_is_clean():
    result = run(str(BIN / "mypy"), "portal")

    assert result.returncode == 0, result.stdout + result.stderr
