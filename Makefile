# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
CATALOGUES := $(wildcard certification/catalogues/*.yaml)

.PHONY: run test test-sqlite test-services lint format bench worker beat messages system-deps clean mutation

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt ".[dev]"
	touch $(INSTALLED)

run: $(INSTALLED)
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py load_catalogue $(CATALOGUES)
	DEBUG=true $(PY) manage.py seed_demo
	@echo "Open http://127.0.0.1:8000 and sign in, e.g. as leitung.purzelbaum@example.org / familienzentrum"
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite on SQLite with eager tasks; then, when DATABASE_URL and
# CELERY_BROKER_URL are set (CI sets them), again on PostgreSQL with a real
# Redis broker and Celery worker.
test: $(INSTALLED) system-deps
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$DATABASE_URL" ] || [ -n "$$CELERY_BROKER_URL" ]; then \
		$(MAKE) --no-print-directory test-services; \
	else \
		echo "DATABASE_URL and CELERY_BROKER_URL are not set: PostgreSQL/Redis run left out."; \
	fi

test-sqlite: $(INSTALLED)
	env -u DATABASE_URL -u CELERY_BROKER_URL -u CELERY_RESULT_BACKEND \
		$(PY) -m pytest -m "not services" $(PYTEST_ARGS)

test-services: $(INSTALLED)
	@if [ -z "$$DATABASE_URL" ] || [ -z "$$CELERY_BROKER_URL" ]; then \
		echo "test-services needs both DATABASE_URL and CELERY_BROKER_URL."; exit 1; fi
	$(PY) -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium; install it when missing and we may.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Chromium for the browser tests ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Chromium is missing: install the Debian package 'chromium' to run the browser tests."; \
		fi; \
	fi

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	# The layers (reports -> assessments -> journal -> register -> evidence -> certification -> notifications -> accounts)
	# and models free of services, evaluation and tasks: contracts in pyproject.toml.
	$(VENV)/bin/lint-imports

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# mutmut over the rule book and the evaluation, in a copy under var/mutation/;
# prints `mutation.score` and the surviving mutants. Long; not part of CI.
mutation: $(INSTALLED)
	$(PY) tools/mutation.py

bench: $(INSTALLED)
	$(PY) manage.py bench

worker: $(INSTALLED)
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: $(INSTALLED)
	$(VENV)/bin/celery -A config beat --loglevel=info

messages: $(INSTALLED)
	$(PY) manage.py makemessages -l en --no-location --ignore=.venv --ignore=staticfiles --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
