# The two commands a newcomer needs: `make run` and `make test`. Everything else is extra.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# localstripe, the local Stripe stand-in `make run` starts (exchange/payments/conf.py reads STRIPE_API_BASE)
STRIPE_PORT ?= 8420

.PHONY: run test test-postgresql fuzz audit bench-search bench-search-postgresql bench-valuation bench-federation bench-pages load messages lint format migrations-check worker install install-test clean-var help

help:
	@echo "make run     - install, migrate, load demo data once, serve http://$(HOST):$(PORT)/ with the worker"
	@echo "make test    - install test tools and run the whole suite"
	@echo "make lint    - ruff check + format check + missing migrations check"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install only when pyproject.toml changed since the last install.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The address every absolute link is built from (canonical, sitemap.xml, e-mails): the one served here.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	mkdir -p var
	$(MANAGE) compiletranslations
	$(MANAGE) migrate --noinput
	$(MANAGE) site_configure
	$(MANAGE) seed_demo --once
	@echo "Serving the exchange on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@trap 'kill 0' INT TERM EXIT; export STRIPE_API_BASE=$${STRIPE_API_BASE:-http://localhost:$(STRIPE_PORT)}; \
	$(VENV)/bin/localstripe --port $(STRIPE_PORT) >var/localstripe.log 2>&1 & \
	$(MANAGE) payments_dev_stripe --site-url http://$(HOST):$(PORT) & \
	$(MANAGE) run_huey --quiet & \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: install
	$(MANAGE) run_huey

test: install-test
	bash scripts/test-deps.sh
	$(MANAGE) compiletranslations --check --settings=exchange.settings.test
	$(MANAGE) makemigrations --check --dry-run --settings=exchange.settings.test
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-postgresql

# The database-sensitive part of the suite again on PostgreSQL: a throwaway server on loopback
# (scripts/pg-test.sh; test-deps.sh installs PostgreSQL from Debian when it is missing).
PG_TESTS ?= listings exchange
test-postgresql: install-test
	bash scripts/pg-test.sh $(VENV)/bin/pytest -n 2 -p no:cacheprovider $(PG_TESTS)

# Search benchmark on a throwaway SQLite database (never var/db.sqlite3): BENCH_ARGS="--n 2000 --queries 50"
bench-search: install
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	SQLITE_PATH=$$d/bench.sqlite3 TECHEX_VAR_DIR=$$d $(MANAGE) migrate -v0 --noinput && \
	SQLITE_PATH=$$d/bench.sqlite3 TECHEX_VAR_DIR=$$d $(MANAGE) bench_search $(BENCH_ARGS)

# The same benchmark on a throwaway PostgreSQL server (scripts/pg-test.sh; PG_TEST_PORT picks its port)
bench-search-postgresql: install-test
	PYTHON=$(VENV)/bin/python bash scripts/bench-search-postgresql.sh $(BENCH_ARGS)

# Valuation engine: a 100,000-draw Monte Carlo over a 10-year relief-from-royalty (median of runs)
bench-valuation: install
	$(MANAGE) bench_valuation $(BENCH_ARGS)

# Federation: a peer pulls N listings from an empty start, then catches up changes (two throwaway
# instances on loopback with their own SQLite databases): BENCH_ARGS="--n 20000 --changes 1000"
bench-federation: install
	$(MANAGE) bench_federation $(BENCH_ARGS)

# Pages under load (issue #10): gunicorn + locust on loopback over a throwaway SQLite database with the demo
# data and 2,000 listings; a plain Wagtail page is the baseline: BENCH_ARGS="--n 2000 --seconds 20 --users 10"
$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[bench]"
	touch $@

bench-pages: install $(VENV)/.installed-bench
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	SQLITE_PATH=$$d/bench.sqlite3 TECHEX_VAR_DIR=$$d $(MANAGE) compiletranslations >/dev/null && \
	SQLITE_PATH=$$d/bench.sqlite3 TECHEX_VAR_DIR=$$d $(MANAGE) migrate -v0 --noinput && \
	SQLITE_PATH=$$d/bench.sqlite3 TECHEX_VAR_DIR=$$d $(MANAGE) bench_pages $(BENCH_ARGS)

# Bounded load test (issue #11): gunicorn + a throwaway PostgreSQL (scripts/pg-test.sh) with the demo data and
# 5,000 listings; 50 people search, browse and write in deal rooms for 60 s. BENCHMARK_NO_RATE_LIMITS lifts the
# rate limits for that server only (docs/benchmarks.md): LOAD_ARGS="--users 50 --seconds 60 --n 5000 --port 8660"
LOAD_PG_PORT ?= 55449
load: install $(VENV)/.installed-bench
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	PG_TEST_PORT=$(LOAD_PG_PORT) TECHEX_VAR_DIR=$$d HUEY_SQLITE_PATH=$$d/huey.sqlite3 BENCHMARK_NO_RATE_LIMITS=1 \
	bash scripts/pg-test.sh sh -c '$(MANAGE) compiletranslations >/dev/null && $(MANAGE) bench_load $(LOAD_ARGS)'

# API fuzzing (schemathesis) against our OpenAPI schema: the module `make test` runs with a few examples per
# operation, here with the coverage phase and FUZZ_MAX_EXAMPLES (default 100) generated cases per operation.
fuzz: install-test
	FUZZ_FULL=1 $(VENV)/bin/pytest -n 2 -p no:cacheprovider tests/test_api_fuzz.py $(PYTEST_ARGS)

# Known vulnerabilities in the installed dependencies (pip-audit, in its own venv). It asks PyPI's JSON API
# (default) or OSV; an air-gapped deployment points it at its own OSV mirror:
#   make audit AUDIT_ARGS="-s osv --osv-url https://osv.internal.example/v1/query"
# It exits non-zero when a package cannot be checked, so "no service" never reads as "no vulnerabilities".
AUDIT_ARGS ?=
audit: install
	mkdir -p var
	test -x var/audit-venv/bin/pip-audit || ($(PYTHON) -m venv var/audit-venv && var/audit-venv/bin/pip install --quiet "pip-audit>=2.10,<3")
	$(PIP) freeze --exclude-editable > var/requirements-freeze.txt
	var/audit-venv/bin/pip-audit --strict --progress-spinner off --no-deps --disable-pip $(AUDIT_ARGS) -r var/requirements-freeze.txt

# Extract UI strings into locale/en (needs GNU gettext); translate, then `make run` compiles them.
messages: install-test
	$(MANAGE) makemessages -l en --no-obsolete --ignore=.venv --ignore=var --ignore=build --ignore="*/tests/*" --add-location=file

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run --settings=exchange.settings.test

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
