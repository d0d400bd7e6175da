# The two commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK   = $(BIN)/flask --app wsgi
# Links in emails and on certificates, and the address `demo seed` prints, follow where `make run` serves.
export APP_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint setup bench sso-demo

$(VENV)/.run-deps: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps $(VENV)/.system-packages requirements-dev.txt node_modules/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# apt packages the tests need (WeasyPrint's libraries, Chromium, Java, npm), installed only when missing.
$(VENV)/.system-packages: scripts/system-packages | $(VENV)/.run-deps
	scripts/system-packages
	touch $@

# Test-only tools from npm (vnu-jar: the Nu HTML Checker), exactly as package-lock.json pins them.
# --ignore-scripts: vnu-jar's install script would fetch a Java runtime; the tests use the system's.
node_modules/.installed: package.json package-lock.json $(VENV)/.system-packages
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

## Set up the embedded default (SQLite in instance/), load content and the demo trust, serve.
setup: $(VENV)/.run-deps
	$(FLASK) db upgrade
	$(FLASK) scenarios load
	$(FLASK) demo seed --if-empty

# The mail worker runs beside the server (emails are queued in the outbox; with no MAIL_SERVER it logs
# them), and stops with it: the trap sends it SIGTERM when the server ends, on Ctrl+C or otherwise.
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop), with the mail worker beside it"
	@$(FLASK) mail work --loop & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## Install what the tests need and run the whole suite (SQLite, and PostgreSQL when reachable).
test: $(VENV)/.test-deps
	$(BIN)/ruff check lms tests
	$(BIN)/bandit -q -r lms -c pyproject.toml --severity-level high
	$(BIN)/python scripts/import_cycles.py  # fails on any import cycle between modules of lms/
	$(BIN)/python -m pytest -n auto --dist loadgroup  # one process per core; the browser tests stay together

lint: $(VENV)/.test-deps
	$(BIN)/ruff check lms tests

## The benchmarks of issue 9 (bench/README.md; needs wrk and PostgreSQL): writes bench/RESULTS.md.
bench: $(VENV)/.run-deps bench/requirements.txt
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

## Try single sign-on by hand (docs/sso.md): a local test OpenID Provider with every demo person; prints how to run the app with it.
sso-demo: $(VENV)/.run-deps node_modules/.installed
	$(BIN)/python -m tests.oidc.demo
