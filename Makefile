# Opora: every way to set up, run and check the project. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= config.settings.local
PG_URL_BASE ?= postgres://postgres@127.0.0.1:5432
PG_DB ?= opora_ci
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup demo run test test-sqlite test-postgres test-browser lint messages check-deploy ci clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the locked dependencies

demo: setup  ## build the demo region on SQLite and serve it at http://127.0.0.1:8000
	$(BIN)/opora demo
	$(BIN)/opora runserver $(HOST):$(PORT)

run: setup  ## serve the existing database without rebuilding the demo
	$(BIN)/opora migrate --no-input
	$(BIN)/opora runserver $(HOST):$(PORT)

test: setup test-sqlite  ## the test suite on SQLite (the README's test command)

test-sqlite: setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest -q

test-postgres: setup  ## the test suite on PostgreSQL (127.0.0.1:5432, user postgres)
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=$(PG_URL_BASE)/$(PG_DB) $(BIN)/pytest -q --create-db

test-browser: setup  ## Playwright in Debian's headless Chromium (apt-get install chromium)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest -q -m browser tests/browser

lint: setup  ## ruff, mypy, import-linter, missing migrations, compiled translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory messages
	git diff --exit-code -- '*.mo' || (echo "Compiled translations are stale: run make messages and commit" && exit 1)

messages: setup  ## compile every app's Russian catalogue (locale/ru/LC_MESSAGES/django.po → .mo)
	@for dir in opora/*/locale; do (cd $$(dirname $$dir) && ../../$(BIN)/django-admin compilemessages -v0 --settings=config.settings.test --pythonpath=../..) || exit 1; done

check-deploy: setup  ## Django's deployment checks with production settings
	OPORA_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) DATABASE_URL=sqlite:///:memory: \
	DJANGO_SETTINGS_MODULE=config.settings.production $(BIN)/python manage.py check --deploy --fail-level WARNING

ci: lint check-deploy test-sqlite test-postgres test-browser  ## everything CI runs

clean:  ## remove the virtualenv and local data (the SQLite database, uploads)
	rm -rf $(VENV) var
