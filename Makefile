# Every target installs what it needs first (`setup`), so each works from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_DISABLE_TELEMETRY := 1

# Arguments passed through to the CLI, e.g. `make crawl ARGS="--all"`.
ARGS ?=
# `make nightly`: retention of `constellation prune`, and the data age `constellation status` accepts.
PRUNE_ARGS ?= --keep-daily 30 --keep-monthly 24
MAX_AGE ?= 36h

.PHONY: setup test test-fast lint demo crawl build nightly prune status app bench evaluate clean help

help:
	@echo "make demo   offline demo: fake Hub -> crawl -> build -> app"
	@echo "make test   lint, then the whole test suite"
	@echo "make test-fast  the suite without the browser and slow tests"
	@echo "make lint   ruff (lint + format), mypy, import-linter"
	@echo "make setup  create/update .venv with the project (editable, dev and app extras)"
	@echo "make crawl  nightly crawl of the Hub (HF_ENDPOINT, HF_TOKEN; ARGS=... for options)"
	@echo "make build  build the atlas of the latest snapshot"
	@echo "make nightly  for cron: crawl -> build -> prune -> status (PRUNE_ARGS=..., MAX_AGE=...)"
	@echo "make app    start the explorer on the latest atlas"
	@echo "make bench  run the benchmarks under bench/ (figures go to docs/benchmarks.md; ARGS=paper: the paper's list end to end)"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,app]'
	@touch $(STAMP)

test: lint
	$(BIN)/python -m pytest $(ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not slow" $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

demo: setup
	$(BIN)/constellation demo $(ARGS)

crawl: setup
	$(BIN)/constellation crawl $(ARGS)

build: setup
	$(BIN)/constellation build $(ARGS)

# The nightly job: every step runs even when an earlier one failed (a failed crawl still leaves the last
# good atlas to keep, old files to prune and a status to report); the exit status is the first failure's:
# the crawl's code (README's table), else the build's, else the status's (10: the site's data is stale).
nightly: setup
	@$(BIN)/constellation crawl $(ARGS); crawl=$$?; \
	$(BIN)/constellation build; build=$$?; \
	$(BIN)/constellation prune $(PRUNE_ARGS); prune=$$?; \
	$(BIN)/constellation status --max-age $(MAX_AGE); status=$$?; \
	for code in $$crawl $$build $$prune $$status; do [ $$code -eq 0 ] || exit $$code; done

prune: setup
	$(BIN)/constellation prune $(ARGS)

status: setup
	$(BIN)/constellation status $(ARGS)

app: setup
	$(BIN)/constellation app $(ARGS)

evaluate: setup
	$(BIN)/constellation evaluate $(ARGS)

bench: setup
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache bench/out
