# The two commands of the README's quick start are `make serve` and `make test`; everything else is a step of them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INBOX ?= data/inbox
WAREHOUSE ?= data/warehouse
AWARDS ?= 100000
PORT ?= 8501
AXE := tests/browser/node_modules/axe-core/axe.min.js
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation

.PHONY: setup demo build serve test check lock clean chromium screenshots bench audit

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

setup: $(VENV)/.installed  ## create the virtual environment and install the project with pinned versions

$(INBOX): | $(VENV)/.installed  ## a demo inbox, only when there is no inbox yet
	$(BIN)/covenant demo --inbox $(INBOX) --awards $(AWARDS)

demo: $(VENV)/.installed  ## write a fresh demo inbox
	$(BIN)/covenant demo --inbox $(INBOX) --awards $(AWARDS)

build: $(VENV)/.installed | $(INBOX)  ## load the inbox into the warehouse and publish it
	$(BIN)/covenant build --inbox $(INBOX) --warehouse $(WAREHOUSE)

serve: build chromium  ## set up, build the demo warehouse and serve the dashboard on http://127.0.0.1:8501
	$(BIN)/covenant serve --warehouse $(WAREHOUSE) --port $(PORT)

$(AXE): tests/browser/package.json tests/browser/package-lock.json  ## axe-core, pinned, from the npm registry
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@

chromium:  ## Debian's Chromium (browser tests, chart images), pango and fonts (briefing PDFs), once; nothing else is downloaded
	@command -v chromium >/dev/null && ldconfig -p | grep -q libpangoft2-1.0 && fc-list | grep -q "Liberation Sans" || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(SYSTEM_PACKAGES); \
		else sudo apt-get update -qq && sudo apt-get install -y -qq $(SYSTEM_PACKAGES); fi; }

test: $(VENV)/.installed $(AXE) chromium  ## set up and run the whole test suite, browser and accessibility tests included, a process per CPU
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

check: $(VENV)/.installed  ## the unit tier alone (no warehouse built, no browser): the quick check while changing code
	$(BIN)/python -m pytest -m unit -n auto

bench: $(VENV)/.installed chromium  ## the benchmark at 100k, 1M and 10M awards (about an hour; SIZES="100000" for one size)
	$(BIN)/python -m benchmarks.run $(if $(SIZES),--sizes $(SIZES))

audit: $(VENV)/.installed  ## every pin in requirements.lock against the registry's advisories (needs the registry; report in build/dependency-audit.md)
	$(BIN)/python -m tests.dependency_audit

screenshots: build  ## retake docs/screenshots from the demo warehouse in a real browser
	$(BIN)/python tests/browser/screenshots.py --warehouse $(WAREHOUSE) docs/screenshots

lock:  ## re-pin every dependency to what is installed now (after a deliberate upgrade)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^covenant-dashboard' > requirements.lock

clean:
	rm -rf $(VENV) data build *.egg-info
