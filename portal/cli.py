"""The `portal` command: Django's management commands under one name."""

import os
import sys

# Long-running processes whose logs are their output.
_SERVICES = ("serve", "worker", "run")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in _SERVICES:
        os.environ.setdefault("PORTAL_LOG_STREAM", "stderr")

    from django.core.management import execute_from_command_line

    execute_from_command_line(["portal", *sys.argv[1:]])


if __name__ == "__main__":
    main()
