# The two commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK   = $(BIN)/flask --app wsgi

.PHONY: run test lint setup

$(VENV)/.run-deps: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

## Set up the embedded default (SQLite in instance/), load content and the demo trust, serve.
setup: $(VENV)/.run-deps
	$(FLASK) db upgrade
	$(FLASK) scenarios load
	$(FLASK) demo seed --if-empty

run: setup
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

## Install what the tests need and run the whole suite (SQLite, and PostgreSQL when reachable).
test: $(VENV)/.test-deps
	$(BIN)/ruff check lms tests
	$(BIN)/python -m pytest

lint: $(VENV)/.test-deps
	$(BIN)/ruff check lms tests
