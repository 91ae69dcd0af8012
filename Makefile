# PhyloDash developer commands. `make` alone lists them.
#
# Everything runs inside a virtual environment ($(VENV)) built from pyproject.toml, the single
# source of dependencies. The install is recorded by a stamp file, so `make test` reinstalls only
# when pyproject.toml changed (or the environment was removed).

PYTHON ?= python3
VENV ?= .venv
PORT ?= 5006
PHYLODASH_ADDRESS ?= 127.0.0.1
PHYLODASH_DATA ?= data
export PORT PHYLODASH_ADDRESS PHYLODASH_DATA

VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Numba's kernels compiled into its cache (in engine's __pycache__ folders): recorded by a stamp, redone
# after an install or a change to engine/, so neither a user's first job nor a timed test pays a compile.
KERNELS := $(VENV)/.kernels-compiled
ENGINE_SOURCES := $(shell find engine -name '*.py')
BENCH_SCRIPTS := $(sort $(wildcard bench/bench_*.py))
# Debian's Chromium and ChromeDriver: the browser tests and bench/bench_dashboard.py drive them.
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver

# Exits non-zero, with a message, when the interpreter given as $(1) is older than Python 3.11.
define require_python_311
@$(1) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
		echo "error: PhyloDash needs Python 3.11 or newer, but '$(1)' is" \
			"$$(command -v $(1) >/dev/null && $(1) --version 2>&1 || echo 'not found')."; \
		echo "       Run for example: make install PYTHON=python3.11"; \
		exit 1; }
endef

.DEFAULT_GOAL := help
.PHONY: help install kernels browser serve test bench lint clean

help:
	@echo "PhyloDash make targets:"
	@echo "  make install  create $(VENV) with $(PYTHON) (3.11+) and install PhyloDash with its dev extra"
	@echo "  make browser  install Debian's chromium and chromium-driver (as root, with apt-get) when missing"
	@echo "  make kernels  compile numba's kernels into its cache (python -m engine compile) when engine/ changed"
	@echo "  make serve    install and kernels if needed, then serve the dashboard and the REST API on"
	@echo "                http://$$PHYLODASH_ADDRESS:$$PORT (data in $$PHYLODASH_DATA)"
	@echo "  make test     install, kernels and browser if needed, then ruff, the layer rule and the pytest suite"
	@echo "  make bench    install and browser if needed, then run every bench/bench_*.py and print its figures"
	@echo "  make lint     ruff check and the layer rule (lint-imports)"
	@echo "  make clean    remove $(VENV) and the caches"
	@echo "Variables: PYTHON=$(PYTHON) VENV=$(VENV) PORT=$(PORT) PHYLODASH_ADDRESS=$(PHYLODASH_ADDRESS)" \
		"PHYLODASH_DATA=$(PHYLODASH_DATA)"

install: $(STAMP)

$(VENV_PYTHON):
	$(call require_python_311,$(PYTHON))
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(VENV_PYTHON)
	$(call require_python_311,$(VENV_PYTHON))
	$(VENV_PYTHON) -m pip install --upgrade pip
	$(VENV)/bin/pip install -e ".[dev]"
	@touch $@

kernels: $(KERNELS)

$(KERNELS): $(STAMP) $(ENGINE_SOURCES)
	@echo "Compiling numba's kernels (the first time after an install takes a few minutes)"
	$(VENV_PYTHON) -m engine compile
	@touch $@

browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium and chromium-driver (browser tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q chromium chromium-driver; \
	else \
		echo "note: without $(CHROMIUM) and $(CHROMEDRIVER) the browser tests are skipped;" \
			"install them with: sudo apt-get install chromium chromium-driver"; \
	fi

serve: install kernels
	exec $(VENV)/bin/panel serve dashboard/app.py --plugins api.plugin --index app --warm \
		--check-unused-sessions 2000 --address $(PHYLODASH_ADDRESS) --port $(PORT) \
		--allow-websocket-origin $(PHYLODASH_ADDRESS):$(PORT) --allow-websocket-origin localhost:$(PORT)

test: install kernels browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV_PYTHON) -m pytest

bench: install browser
	@if [ -z "$(BENCH_SCRIPTS)" ]; then \
		echo "No benchmark scripts yet (bench/bench_*.py): nothing to run."; \
		exit 0; \
	fi; \
	failed=""; \
	for script in $(BENCH_SCRIPTS); do \
		echo "== $$script"; \
		$(VENV_PYTHON) $$script || failed="$$failed $$script"; \
	done; \
	if [ -n "$$failed" ]; then echo "error: benchmark scripts failed:$$failed"; exit 1; fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
