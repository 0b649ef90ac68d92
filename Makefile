# mofan: two commands for a fresh machine. `make run` starts the platform (the server and one
# task worker, stopped together by Ctrl-C: scripts/run_dev.py), `make test` proves it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/mofan_ci

.PHONY: run test lint format test-sqlite test-postgres system-deps vendor bench clean-var

$(VENV)/.installed-runtime: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-runtime
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(VENV)/.installed-runtime
	@bash scripts/system_deps.sh --runtime || echo "Without those packages PDF exports stop with a clear message; everything else works." >&2
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_templates
	$(PY) manage.py load_demo
	$(PY) manage.py demo_accounts
	$(PY) scripts/run_dev.py --port $(PORT)

system-deps:
	@bash scripts/system_deps.sh

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy mofan
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Each run has its own var dir (keys, media, exports), so `make test` runs both side by side.
# With four cores or more each pass runs on TEST_WORKERS pytest-xdist workers (half the cores;
# whole test files each, each worker its own test database and var dir: tests/workers.py). On
# two cores the two passes side by side already keep both busy, and two workers each measured
# slower (docs/performance.md), so there each pass runs in one process (TEST_WORKERS=0).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); if [ $$n -ge 4 ]; then echo $$((n / 2)); else echo 0; fi)
XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile -p tests.workers)
test-sqlite: $(VENV)/.installed-dev
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL MOFAN_VAR_DIR=$(CURDIR)/var/test-sqlite $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev
	@echo "== test suite on PostgreSQL =="
	@if $(PY) scripts/pg_ready.py "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" MOFAN_VAR_DIR=$(CURDIR)/var/test-postgres $(PY) -m pytest $(XDIST) $(PYTEST_ARGS); \
	elif [ "$$MOFAN_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL at $(PG_URL) is unreachable and MOFAN_REQUIRE_POSTGRES=1: failing." >&2; exit 1; \
	else \
		echo "PostgreSQL at $(PG_URL) is unreachable: PostgreSQL run not done (set MOFAN_REQUIRE_POSTGRES=1 to fail instead)." >&2; \
	fi

# The SQLite and PostgreSQL runs go side by side (one per core); each prints its output when it
# ends, and either failing fails `make test`.
test: system-deps $(VENV)/.installed-dev lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

# Timed page and job suite at 70 and 20,000 units (docs/performance.md); BENCH_ARGS e.g.
# "--sizes 70,500 --db sqlite". The databases are built once and cached under var/bench/.
# Then the accuracy of importing plan documents over tests/indicators/corpus/ (issue 21).
bench: $(VENV)/.installed-dev
	$(PY) manage.py bench --pg-url "$(PG_URL)" $(BENCH_ARGS)
	$(PY) manage.py bench_import

vendor: $(VENV)/.installed-runtime
	$(PY) scripts/vendor_assets.py

# Deadline rush: gunicorn (2 workers x 4 threads) on PostgreSQL, then SQLite, under 200 unit
# admins, 20 reviewers and the committee dashboard for 60 s (scripts/loadtest.py;
# docs/performance.md). The scale-out run (PostgreSQL only): two gunicorn servers and two task
# workers on one database, the users spread over both servers, a 2,000-unit approval run as a
# task during the rush: `make loadtest LOADTEST_ARGS=--scale-out` or `make loadtest-scale-out`.
.PHONY: loadtest loadtest-scale-out
LOADTEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/mofan_loadtest
loadtest: $(VENV)/.installed-runtime
	$(PY) scripts/loadtest.py --pg-url "$(LOADTEST_PG_URL)" $(LOADTEST_ARGS)

loadtest-scale-out: $(VENV)/.installed-runtime
	$(PY) scripts/loadtest.py --pg-url "$(LOADTEST_PG_URL)" --scale-out $(LOADTEST_ARGS)

# Capacity: the same rush with the think times shortened step by step until p95 passes 200 ms
# or a request fails; the highest requests/s within that and what stopped it (issue 20 point 4).
.PHONY: loadtest-ramp
loadtest-ramp: $(VENV)/.installed-runtime
	$(PY) scripts/loadtest.py --pg-url "$(LOADTEST_PG_URL)" --db postgresql --ramp $(LOADTEST_ARGS)

# Faults under the deadline rush: its own PostgreSQL cluster on a free port, gunicorn, and in
# turn a database restart, a killed worker and a read-only media directory; one line per fault
# (scripts/faulttest.py; docs/performance.md).
.PHONY: faulttest
faulttest: $(VENV)/.installed-runtime
	$(PY) scripts/faulttest.py $(FAULTTEST_ARGS)
