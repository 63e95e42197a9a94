# Two commands matter: `make run` (the app with demo data on SQLite) and `make test` (everything).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test lint lock format translations chromium dovecot db demo clean screenshots bench bench-reminders bench-roadmaps bench-cycle bench-inbound bench-import bench-load bench-soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Pinned dependencies: edit requirements.in / requirements-dev.in, then `make lock` compiles them
# (pip-tools, against pip's configured index) into requirements.txt / requirements-dev.txt, keeping
# the pins it can; `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest allowed release.
LOCK_FLAGS ?=
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links

lock: $(VENV)/.dev
	$(PIP_COMPILE) $(LOCK_FLAGS) -o requirements.txt requirements.in
	$(PIP_COMPILE) $(LOCK_FLAGS) -o requirements-dev.txt requirements-dev.in

translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -f -d tracker/translations

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Debian's Dovecot for the IMAP test (the test starts a private instance; no service is started).
dovecot:
	@test -x /usr/sbin/dovecot || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends dovecot-imapd; }

db: $(VENV)/.runtime
	mkdir -p var
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo load

# The scheduler runs beside the web server and stops with it.
run: demo translations
	@echo "Открывайте http://$(HOST):$(PORT) — демо-входы напечатаны выше."
	$(BIN)/flask scheduler run & trap 'kill $$!' EXIT INT TERM; \
	  $(BIN)/flask run --host $(HOST) --port $(PORT)

# ruff, then the import contracts of .importlinter (core ← parts ← api/demo).
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The tests run in TEST_WORKERS processes (pytest-xdist), each on databases of its own (see
# tests/conftest.py); TEST_WORKERS=0 runs them in this one.
TEST_WORKERS ?= 2

test: $(VENV)/.dev chromium dovecot translations
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

screenshots: $(VENV)/.dev chromium translations
	$(BIN)/python docs/make_screenshots.py

# Benchmarks on PostgreSQL (BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres;
# BENCH_DB_PREFIX prefixes their databases' names). Each also writes bench/out/<bench>.json;
# `bench/compare.py a.json b.json` sets two runs side by side.
bench: $(VENV)/.dev
	cd bench && ../$(BIN)/python execution_control.py

bench-reminders: $(VENV)/.dev
	cd bench && ../$(BIN)/python reminders.py

bench-roadmaps: $(VENV)/.dev
	cd bench && ../$(BIN)/python roadmaps.py

bench-cycle: $(VENV)/.dev
	cd bench && ../$(BIN)/python cycle.py

bench-inbound: $(VENV)/.dev
	cd bench && ../$(BIN)/python inbound.py

bench-import: $(VENV)/.dev
	cd bench && ../$(BIN)/python protocol_import.py

# 50 simulated users of mixed roles for 60 s (locust, headless), beside the same run on /health.
bench-load: $(VENV)/.dev
	cd bench && ../$(BIN)/python load.py

bench-soak: $(VENV)/.dev
	cd bench && ../$(BIN)/python soak.py
