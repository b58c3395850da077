# The two commands of the README, and their parts. Only Python >= 3.11 is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= $(or $(WATCHKEEPER_HOST),127.0.0.1)
PORT ?= $(or $(WATCHKEEPER_PORT),8000)
# pytest-xdist workers: one per core (`auto`); 0 runs the suite in this process, one test at a time.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

.PHONY: run test lint types test-only test-postgres clean bench

run: $(STAMP)
	$(BIN)/watchkeeper migrate
	$(BIN)/watchkeeper demo --first-run --port $(PORT)
	$(BIN)/watchkeeper serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP) lint types test-only

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

types: $(DEV_STAMP)
	$(BIN)/mypy

test-only: $(DEV_STAMP)
	WATCHKEEPER_DATA_DIR=$(CURDIR)/var/test $(PYTEST)

test-postgres: $(DEV_STAMP)
	WATCHKEEPER_DATA_DIR=$(CURDIR)/var/test-pg \
	WATCHKEEPER_DATABASE_URL=$${WATCHKEEPER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/watchkeeper} \
	$(PYTEST)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

# Intake throughput against Debian's Alertmanager (needs wrk and prometheus-alertmanager;
# see bench/ingest/README.md). BENCH_DB=postgres for PostgreSQL.
bench: $(DEV_STAMP)
	$(BIN)/python bench/ingest/run.py --db $(or $(BENCH_DB),sqlite)

clean:
	rm -rf $(VENV) var/test var/test-pg
