"""The `portal` command: the portal's own commands, and Django's under `help`."""

import os
import sys

# Long-running processes whose logs are their output.
_SERVICES = ("serve", "worker", "run")

USAGE = """usage: portal COMMAND [options]

Running the portal:
  run          the web server and the worker together (what `make run` does)
  serve        the web server: applies migrations, seeds the admin, serves HTTP
  worker       background jobs: energy recomputation and periodic sweeps
  migrate      apply database migrations

Provisioning:
  sites        add or list sites, assign a tariff  (portal sites add --help)
  devices      add or list devices          (portal devices add --help)
  keys         create, list or revoke API keys
  import       import an Acuview data-log CSV or a portal CSV export
  tariffs      import, export or list tariffs  (portal tariffs import --help)

`portal COMMAND --help` explains one command; `portal help` lists every
command, Django's own included.
"""


def main() -> None:
    arguments = sys.argv[1:]
    if not arguments or arguments[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if arguments[0] not in _SERVICES:
        # A command's own answer is its output; its log lines only matter
        # when something goes wrong.
        os.environ.setdefault("PORTAL_LOG_STREAM", "stderr")
        os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")

    from django.core.management import execute_from_command_line

    execute_from_command_line(["portal", *arguments])


if __name__ == "__main__":
    main()
