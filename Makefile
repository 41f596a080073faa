# Two entry points for a fresh machine with Python 3.11, pip and make:
#   make demo   install everything, simulate a week, run every asset, print what was built
#   make test   install everything, run the whole test suite
# Both reuse .venv when requirements.lock and pyproject.toml have not changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.flywheel-installed
FLYWHEEL_HOME ?= $(CURDIR)/.flywheel
export FLYWHEEL_HOME
export DAGSTER_HOME := $(FLYWHEEL_HOME)/dagster
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
PYTEST_ARGS ?=

.PHONY: install demo test lint bench ui dashboards lock system-deps clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Flywheel needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Debian packages the browser tests need (Chromium for Playwright). Installs only when missing.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing and cannot be installed without root: apt-get install chromium" >&2; exit 1; fi; \
	fi

demo: install
	$(BIN)/flywheel demo

test: install system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check pipelines dashboards tests

bench: install
	$(BIN)/flywheel bench

ui: install
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1

dashboards: install
	$(BIN)/flywheel dashboards

lock:
	rm -rf /tmp/flywheel-lock-venv && $(PYTHON) -m venv /tmp/flywheel-lock-venv
	/tmp/flywheel-lock-venv/bin/pip install --quiet -e '.[test]'
	{ echo "# Full, transitive pins for Python 3.11 (linux x86_64), resolved from pyproject.toml's pins"; \
	  echo "# with its [test] extra. Regenerate: make lock (fresh venv, pip install -e '.[test]', pip freeze)."; \
	  /tmp/flywheel-lock-venv/bin/pip freeze --exclude-editable | grep -v '^flywheel'; } > requirements.lock

clean:
	rm -rf $(FLYWHEEL_HOME) dbt/target dbt/logs
