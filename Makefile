# Developer entry points. `make run` serves a demo; `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
UV_VERSION ?= 0.13.8
VENV := .venv
BIN := $(VENV)/bin
UV := .tools/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000
SERVE_ARGS ?= --host $(HOST) --port $(PORT)
# --inexact: a plain install must not strip the dev tools an earlier `make test` added.
SYNC_FLAGS ?= --inexact
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install install-dev run test lint bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(UV) $(BIN)/python
	$(UV) sync --frozen --quiet $(SYNC_FLAGS)

install-dev: SYNC_FLAGS = --inexact --extra dev
install-dev: install

run: install
	$(BIN)/mailscope db upgrade
	$(BIN)/mailscope demo --if-empty
	@echo "Admin API key (shown once):"
	$(BIN)/mailscope apikey create --role admin --name "make run"
	@echo "Mailscope: http://$(HOST):$(PORT)/"
	$(BIN)/mailscope serve $(SERVE_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# Every check runs even when an earlier one fails, so one CI run reports all of them:
# ruff, the import contracts, mypy, and the suite with its coverage floor (pyproject).
test: install-dev
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/lint-imports --no-cache || status=1; \
	$(BIN)/mypy || status=1; \
	$(BIN)/python -m pytest -q --cov --cov-report=term:skip-covered || status=1; \
	exit $$status

bench: install
	@set -e; for script in bench/*.py; do \
	  [ -e "$$script" ] || { echo "no benchmarks under bench/"; exit 1; }; \
	  echo "== $$script"; $(BIN)/python "$$script"; \
	done

clean:
	rm -rf $(VENV) .tools var .pytest_cache .ruff_cache .hypothesis .import_linter_cache .mypy_cache .coverage
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
