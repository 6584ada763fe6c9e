# make run: install what is needed into .venv, then serve the demo on http://127.0.0.1:8000
# make test: install what is needed into .venv, then run the whole test suite
# make bench: the service against the raw-SQL floor on PostgreSQL and SQLite (not part of make test), see BENCHMARKS.md
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install npm-install run test schema clean bench load

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# GraphiQL's files (the page at /graphql), served by the app itself: the npm packages pinned in
# api/graphiql-assets/package-lock.json. Without npm, or when npm ci fails, the app still runs
# and its GraphiQL page loads those files from the unpkg CDN (the server's log says so).
GRAPHIQL_ASSETS_DIR := api/graphiql-assets
$(GRAPHIQL_ASSETS_DIR)/node_modules/.installed: $(GRAPHIQL_ASSETS_DIR)/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "make: npm not found: GraphiQL (/graphql) will load its files from the unpkg CDN"; \
	elif (cd $(GRAPHIQL_ASSETS_DIR) && npm ci --no-audit --no-fund --loglevel=error); then \
	  touch $@; \
	else echo "make: npm ci failed in $(GRAPHIQL_ASSETS_DIR): GraphiQL (/graphql) will load its files from the unpkg CDN"; fi

install: $(STAMP) $(GRAPHIQL_ASSETS_DIR)/node_modules/.installed

# The tests' npm packages, when npm is there (without it, the tests that need them skip):
# the graphql-http audit suite (tests/test_http_audit.py).
NPM_DIRS := tests/http_audit
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
	rm -rf $(VENV) myopenip.sqlite3 $(GRAPHIQL_ASSETS_DIR)/node_modules
