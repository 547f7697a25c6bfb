# The two commands of the README: `make run` and `make test`. Both set up everything first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test bench stop lint lock messages

$(STAMP): requirements.lock config/devenv/bootstrap.py
	$(PYTHON) config/devenv/bootstrap.py
	@touch $(STAMP)

install: $(STAMP)

## Start PostgreSQL + Redis (private, if none), migrate, seed the demo, web + worker + beat.
run: install
	$(PY) config/devenv/run.py serve

## The whole suite: unit, integration (real PostgreSQL, Redis, Celery worker) and browser tests.
test: install
	$(PY) config/devenv/run.py test $(PYTEST_ARGS)

## Benchmarks, printed as ratios against a baseline measured in the same run.
bench: install
	$(PY) config/devenv/run.py bench $(BENCH_ARGS)

## Stop the private PostgreSQL and Redis that `make run` / `make test` may have left running.
stop:
	$(PY) config/devenv/services.py down

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## Re-pin dependencies after editing pyproject.toml.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements.lock

## Refresh the translation catalogues after adding user-visible strings.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore .venv --ignore 'var/*' --no-obsolete --no-location
