"""pytest-xdist workers (Makefile `TEST_WORKERS`: half the cores per pass on four or more)
each get a var dir of their own - keys, media, exports - under the pass's ``MOFAN_VAR_DIR``,
so two workers never write the same evidence or export file (their databases hand out the same
ids).

Loaded with ``-p tests.workers`` (the Makefile adds it with ``-n``; tests/conftest.py refuses
an xdist worker without it): a plugin named so is imported before pytest-django loads the
Django settings, which read ``MOFAN_VAR_DIR`` once (a conftest is imported after). xdist sets
``PYTEST_XDIST_WORKER`` in each worker before that. Each worker's test database gets its
``_gw0``/``_gw1`` suffix from pytest-django (tests/conftest.py keeps that fixture)."""

from __future__ import annotations

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("MOFAN_VAR_DIR"):
    os.environ["MOFAN_VAR_DIR"] = os.path.join(os.environ["MOFAN_VAR_DIR"], _worker)
