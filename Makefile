# Allot — two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Start Allot on SQLite with demo data at http://127.0.0.1:8000/graphql (another port: PORT=8001)
run: install
	$(VENV)/bin/allot migrate
	$(VENV)/bin/allot demo --if-empty
	$(VENV)/bin/allot serve $(if $(PORT),--port $(PORT))

## Install and run every test (PostgreSQL tests start their own server when one is installed)
test: install lint
	$(PY) -m pytest -q -p no:cacheprovider

## Architecture and style checks
lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check app schema bot allot tests bench
	$(VENV)/bin/ruff format --check app schema bot allot tests bench
	$(VENV)/bin/mypy

## Benchmarks: print figures (never pass/fail). bench.perf: the read/write harness with its
## floor and peer (PERF="--quick --pg" for a few minutes; default: the full run on PostgreSQL)
bench: install
	$(PY) -m bench.perf $(or $(PERF),--pg)
	$(PY) -m bench.dashboard
	$(PY) -m bench.record_spends
	$(PY) -m bench.import_focus
	$(PY) -m bench.authorize_latency
	$(PY) -m bench.close_period
	$(PY) -m bench.slack_ack
	$(PY) -m bench.forecast_backtest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache
