"""Every environment variable the settings read is documented in docs/SETTINGS.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_setting_is_documented():
    source = (ROOT / "portal" / "settings.py").read_text()
    read = set(
        re.findall(r'(?:env_\w+|_require_in_production)\(\s*"([A-Z_]+)"', source)
    )
    documented = set(
        re.findall(
            r"^\| `([A-Z_]+)` \|", (ROOT / "docs" / "SETTINGS.md").read_text(), re.M
        )
    )

    assert {
        "DATABASE_URL",
        "PORTAL_MODE",
        "PORTAL_LOG_LEVEL",
    } <= read  # the pattern finds them
    assert read - documented == set()
