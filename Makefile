# make run: install what is needed into .venv, then serve the demo on http://127.0.0.1:8000
# make test: install what is needed into .venv, then run the whole test suite (TESTS=... for some)
# make bench: the service against the raw-SQL floor on PostgreSQL and SQLite (not part of make test), see BENCHMARKS.md
#
# Python: the newest supported version found (python3.X on the PATH, or under pyenv's
# versions), unless PYTHON=/path/to/python is given. VENV=... keeps another interpreter's
# environment beside the default one (.ci/run does, for a second Python).
SUPPORTED_PYTHONS := 3.14 3.13 3.12 3.11
PYENV_VERSIONS := $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions
# The first interpreter of version $(1) that runs: python$(1) on the PATH (a pyenv shim of a
# version not selected does not), then pyenv's, newest patch release first.
python_of = $(shell for p in python$(1) $$(ls -d $(PYENV_VERSIONS)/$(1).*/bin/python$(1) 2>/dev/null | sort -rV); do \
  "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(1))))' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
comma := ,
ifndef PYTHON
PYTHON := $(firstword $(foreach v,$(SUPPORTED_PYTHONS),$(call python_of,$(v))))
endif
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TESTS ?=

.PHONY: install npm-install run test schema clean bench load python

# The interpreter `make install` would use (empty when none is supported).
python:
	@echo $(PYTHON)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "make: no supported Python found: this project needs Python $(SUPPORTED_PYTHONS) (any of them);" \
	       "install one, or give PYTHON=/path/to/python3.X" >&2; exit 1; fi
	@echo "make: Python $$($(PYTHON) -c 'import platform; print(platform.python_version())') ($(PYTHON)) into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The tests' npm packages, when npm is there (without it, the tests that need them skip):
# the graphql-http audit suite (tests/test_http_audit.py) and the files of GraphiQL's page
# (tests/browser/test_graphiql_in_chromium.py).
NPM_DIRS := tests/system/http_audit tests/system/browser/graphiql
%/node_modules/.installed: %/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd $* && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "make: npm not found; the tests that need $* will skip"; fi

npm-install: $(NPM_DIRS:%=%/node_modules/.installed)

run: install
	$(PY) -m api serve --demo

# schema.graphql: the served schema as SDL (tests/test_schema_file.py fails when it is stale).
schema: install
	$(PY) -m schema.sdl

test: install npm-install
	@echo "make: tests on Python $$($(PY) -c 'import platform; print(platform.python_version())') ($(VENV))"
	$(PY) -m pytest -q $(TESTS)

# wrk loads the reads when it can be installed (Debian's package); bench/pyload.py otherwise.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } || \
	  echo "bench: wrk could not be installed; the reads are loaded by bench/pyload.py"
	$(PY) -m bench

# The long load test of tests/support/load.py (the suite sends 800 requests): 40 clients, 60 s, PostgreSQL.
load: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(PY) -m tests.support.load --seconds 60 --clients 40

clean:
	rm -rf .venv .venv-* myopenip.sqlite3
