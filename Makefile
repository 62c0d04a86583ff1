# The two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Debian packages the tests need; installed by `make setup` when missing.
DEBIAN_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev swig

.PHONY: run test test-dates lint fmt setup services system-packages clean bench lock

# Installs exactly what requirements.lock pins (with hashes); pyproject.toml keeps the ranges.
$(VENV)/.installed: pyproject.toml requirements.lock | system-packages
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.installed system-packages

system-packages:
	@bash .ci/system-packages $(DEBIAN_PACKAGES)

services:
	@if [ "$$CI" = "true" ]; then bash .ci/ensure-services; fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: setup services lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Every date-sensitive test (those taking `sweep_now`) at every instant of the date sweep
# (tests/clock.py): month ends, leap day, New Year, summer, DST days; worker processes included.
test-dates: setup services
	INFOSHKOLA_DATE_SWEEP=all $(PY) -m pytest $(PYTEST_ARGS)

# Re-pin requirements.lock after a change of pyproject.toml's dependencies.
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu -o requirements.lock

run: setup
	$(VENV)/bin/infoshkola up

# The tap path against raw PostgreSQL (a few minutes; JSON in var/bench.json, a py-spy profile
# of the API in var/bench-profile.txt), then the durability test with more crashes.
bench: setup services
	$(PY) -u -m bench.run --json var/bench.json --profile var/bench-profile.txt
	INFOSHKOLA_DURABILITY_CRASHES=6 $(PY) -m pytest -q -p no:cacheprovider tests/adapters/test_durability.py
	$(PY) -u -m bench.projections --events 200000

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
