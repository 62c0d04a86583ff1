# The two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
# Two test processes (pytest-xdist), each module kept whole in one of them (its module-scoped
# stack is started once); each process has its own database and Redis namespaces.
PYTEST_ARGS ?= -n 2 --dist loadfile
# Debian packages the tests need; installed by `make setup` when missing.
DEBIAN_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev swig chromium
# The browser pages (frontend/): built by `make setup` with Node >= 20 and npm.
WEB := frontend
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public $(WEB)/scripts -type f -not -path '$(WEB)/src/gql/*' 2>/dev/null) \
	$(wildcard $(WEB)/*.html $(WEB)/*.ts $(WEB)/*.json) schema.graphql

.PHONY: run test test-dates lint fmt setup services system-packages clean bench lock web web-test screenshots node

# Installs exactly what requirements.lock pins (with hashes); pyproject.toml keeps the ranges.
$(VENV)/.installed: pyproject.toml requirements.lock | system-packages
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.installed system-packages web

node:
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "Node.js >= 20 with npm is required (https://nodejs.org or apt-get install nodejs npm)"; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "Node.js >= 20 is required, found $$(node --version)"; exit 1; }

# Exactly what package-lock.json pins; reinstalled when the lock changes.
$(WEB)/node_modules/.installed: $(WEB)/package-lock.json | node
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

# The bundle the API serves (frontend/dist, not in git): types generated from schema.graphql.
$(WEB)/dist/index.html: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && npm run build

web: $(WEB)/dist/index.html

# The front end's tests, and graphql-schema-linter's rules (frontend/.graphql-schema-linterrc:
# all but the sorting ones) over schema.graphql.
web-test: $(WEB)/node_modules/.installed
	cd $(WEB) && npm run codegen && npm test && npm run lint:schema

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

test: setup services lint web-test
	$(PY) -m pytest $(PYTEST_ARGS)

# Every page in headless Chromium against a running stack, written to docs/screenshots/.
screenshots: setup services
	INFOSHKOLA_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/web $(PYTEST_ARGS)

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

# The tap path against raw PostgreSQL, open loop with GraphQL and projection lag, the lunch
# rush (JSON in var/bench.json; BENCH_ARGS="--rush-schools 10" for a quicker run), py-spy
# profiles of an HTTP tap and a GraphQL query (var/profile/), then the durability test with
# more crashes and the projections' catch-up.
BENCH_ARGS ?=
bench: setup services
	$(PY) -u -m bench.run --json var/bench.json --profile var/bench-profile.txt $(BENCH_ARGS)
	$(PY) -u -m bench.profile --out var/profile
	INFOSHKOLA_DURABILITY_CRASHES=6 $(PY) -m pytest -q -p no:cacheprovider tests/adapters/test_durability.py
	$(PY) -u -m bench.projections --events 200000

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis $(WEB)/node_modules $(WEB)/dist $(WEB)/src/gql
