# Two commands set up a fresh machine: `make run` and `make test` (each creates .venv first).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := help
.PHONY: help venv run demo test test-fast lint format lab sync-notebooks clean chromium

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install the workbench with its dev tools

run: $(STAMP) ## run every notebook for the province and each district on the demo data
	$(VENV)/bin/mtqg run --data demo --scope all

demo: $(STAMP) ## write the DEMO dataset into data/demo and validate it
	$(VENV)/bin/mtqg demo --out data/demo --force
	$(VENV)/bin/mtqg validate data/demo

chromium: ## install Debian's chromium for the browser checks when missing (needs root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser checks need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

test: $(STAMP) chromium lint ## lint, then every test (notebooks executed, browser checks)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

test-fast: $(STAMP) ## tests that start no kernel, worker pool or browser (under a minute)
	$(PY) -m pytest -m "not slow" -n $(JOBS) --dist loadgroup

lint: $(STAMP) ## ruff lint and format check, the layer contract (import-linter), mypy
	$(VENV)/bin/ruff check src tests benchmarks notebooks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP) ## format the code with ruff (notebook scripts are left as jupytext writes them)
	$(VENV)/bin/ruff format src tests benchmarks scripts
	$(VENV)/bin/ruff check --fix src tests benchmarks notebooks scripts

PORT ?= 8888
NO_BROWSER ?=
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: $(STAMP) ## open JupyterLab with the package importable (PORT=8888, NO_BROWSER=1)
	$(VENV)/bin/jupyter lab --notebook-dir=. --port=$(PORT) $(if $(NO_BROWSER),--no-browser) $(ALLOW_ROOT)

sync-notebooks: $(STAMP) ## re-pair notebooks/*.ipynb with their jupytext .py scripts
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb

clean: ## remove generated outputs (keeps .venv)
	rm -rf outputs/* data/processed data/demo/*.csv data/demo/truth.json
	@touch outputs/.gitkeep
