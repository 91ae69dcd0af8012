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
BENCH_SCRIPTS := $(sort $(wildcard bench/bench_*.py))

# Exits non-zero, with a message, when the interpreter given as $(1) is older than Python 3.11.
define require_python_311
@$(1) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
		echo "error: PhyloDash needs Python 3.11 or newer, but '$(1)' is" \
			"$$(command -v $(1) >/dev/null && $(1) --version 2>&1 || echo 'not found')."; \
		echo "       Run for example: make install PYTHON=python3.11"; \
		exit 1; }
endef

.DEFAULT_GOAL := help
.PHONY: help install serve test bench lint clean

help:
	@echo "PhyloDash make targets:"
	@echo "  make install  create $(VENV) with $(PYTHON) (3.11+) and install PhyloDash with its dev extra"
	@echo "  make serve    install if needed, then serve the dashboard and the REST API on"
	@echo "                http://$$PHYLODASH_ADDRESS:$$PORT (data in $$PHYLODASH_DATA)"
	@echo "  make test     install if needed, then ruff check and the whole pytest suite"
	@echo "  make bench    install if needed, then run every bench/bench_*.py and print its figures"
	@echo "  make lint     ruff check"
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

serve: install
	exec $(VENV)/bin/panel serve dashboard/app.py --plugins api.routes --index app \
		--address $(PHYLODASH_ADDRESS) --port $(PORT) \
		--allow-websocket-origin $(PHYLODASH_ADDRESS):$(PORT) --allow-websocket-origin localhost:$(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV_PYTHON) -m pytest

bench: install
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
