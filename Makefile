# The two commands of the README: `make run` and `make test`. Everything else is a step of them
# or of CI (.ci/run).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MONGODB_CHECK_URL := mongodb://127.0.0.1:27017/dentalai

.PHONY: run test lint format migrations-check demo venv browser

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

venv: $(VENV)/.dev-installed

# Web app + background worker on SQLite with the demo clinic; one Ctrl-C stops both.
run: $(VENV)/.runtime-installed
	$(PY) manage.py migrate --no-input && $(PY) manage.py setup_schedules --catch-up
	@test -f var/.demo-seeded || ($(PY) manage.py seed_demo && touch var/.demo-seeded)
	PY=$(PY) scripts/run-dev.sh

# Re-run the (idempotent) demo seed by hand.
demo: $(VENV)/.runtime-installed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo && touch var/.demo-seeded

# Debian's Chromium for the browser tests (tests/browser), never a browser Playwright downloads.
browser:
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: $(VENV)/.dev-installed browser
	$(PY) -m pytest

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Stale migrations fail CI on both branches; the MongoDB ones need no server (SPEC §3.5).
migrations-check: $(VENV)/.dev-installed
	env -u DATABASE_URL $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=dentalai.settings_mongodb_nodb $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(MONGODB_CHECK_URL) $(PY) manage.py check
