"""Which of the two test passes (`make test` runs the suite on SQLite and on PostgreSQL side by
side) runs a test that builds its own SQLite database in a subprocess: it tests the same thing
in both passes, so it runs once, in the SQLite pass, and the longer PostgreSQL pass is spared
it."""

from __future__ import annotations

import os

import pytest

sqlite_pass_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="builds its own SQLite database; run once, in the SQLite pass",
)
