# make run: install what is needed into .venv, then serve the demo on http://127.0.0.1:8000
# make test: install what is needed into .venv, then run the whole test suite
# make types: the step-2 operations as .graphql documents and their TypeScript types, in types/ (commit them)
# make bench: the service against the raw-SQL floor on PostgreSQL and SQLite (not part of make test), see BENCHMARKS.md
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install npm-install run test schema types clean bench load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The npm packages, when npm is there (without it, the tests that need them skip): the
# graphql-http audit suite (tests/test_http_audit.py), the files of GraphiQL's page
# (tests/browser/test_graphiql_in_chromium.py), and graphql-codegen, TypeScript and graphql-ws
# for the typed operations (types/, tests/test_types.py).
NPM_DIRS := tests/http_audit tests/browser/graphiql types
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

# types/: frontend_stub/operations.js as .graphql documents, and their TypeScript types generated
# by graphql-codegen from schema.graphql (tests/test_types.py fails when they are stale).
types: types/node_modules/.installed
	@command -v node >/dev/null 2>&1 || { echo "make types: needs Node.js 20 or later, and npm"; exit 1; }
	cd types && node generate.mjs

test: install npm-install
	$(PY) -m pytest -q

# wrk loads the reads when it can be installed (Debian's package); bench/pyload.py otherwise.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } || \
	  echo "bench: wrk could not be installed; the reads are loaded by bench/pyload.py"
	$(PY) -m bench

# The long load test of tests/load.py (the suite runs it for 4 s): 40 clients, 60 s, PostgreSQL.
load: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(PY) -m tests.load --seconds 60 --clients 40

clean:
	rm -rf $(VENV) myopenip.sqlite3
