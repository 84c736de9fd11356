"""Test set-up: a real PostgreSQL, never a mocked one.

With TEST_DATABASE_URL the tests use that server; without it they start the
embedded server under var/ (the same one `make run` uses, in a separate
test database that pytest-django creates and drops).
"""

import os

# Read by portal.settings, which pytest-django imports after this module.
os.environ["PORTAL_TESTING"] = "1"
os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
