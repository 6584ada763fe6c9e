# make run: install what is needed into .venv, then serve the demo on http://127.0.0.1:8000
# make test: install what is needed into .venv, then run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m api serve --demo

test: install
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) myopenip.sqlite3
