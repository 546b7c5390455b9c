# testgate — the two commands a new user needs:
#   make pipeline   run the whole contract + API test pipeline on the example services
#   make test       run testgate's own test suite (installs everything it needs)
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat VERSION)
ENV ?= local

.PHONY: help pipeline test lint tools bench fuzz clean

help:
	@echo "make pipeline [BREAK=provider|pricing] [ENV=local] [BROKER=URL]  run the example pipeline locally"
	@echo "make test                                   run the test suite (installs what it needs)"
	@echo "make lint                                   ruff over the Python code"
	@echo "make bench                                  run the benchmarks under benchmarks/"
	@echo "make fuzz [FUZZ_SECONDS=600]                fuzz testgate report with mutated real reports"

# Create .venv and install testgate with its extras, once; fast when already there.
$(STAMP): pyproject.toml VERSION
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[examples,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# BREAK=provider starts the example provider with a deliberate contract break,
# to show what the gate catches (exit 1, the mismatch in the summary); BREAK=pricing
# makes inventory-api's client of pricing-api drift from its pact (caught at its consumer tests).
pipeline: $(STAMP)
	@EXAMPLE_BREAK='$(BREAK)' $(BIN)/testgate pipeline --env '$(ENV)' $(if $(BROKER),--broker '$(BROKER)')

# Tools the template tests run for real (gitlab-ci-local, groovy, ...): installed
# by the script, which is idempotent and quiet when everything is there.
tools: $(STAMP)
	@bash scripts/ci/install-tools.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check scripts tests examples benchmarks

test: $(STAMP) tools lint
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/.tools/node_modules/.bin:$$PATH" $(BIN)/pytest

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit $$?; done

# Random structure-aware mutations of real reports through testgate report, for a while
# (make test runs a fixed set of them); prints the figures at the end.
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python tests/unit/test_junit_fuzz.py

clean:
	rm -rf reports pacts .pytest_cache
