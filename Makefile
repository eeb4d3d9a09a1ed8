# Every target installs what it needs from the committed lock file (uv.lock).
# A machine needs only Python 3.11+ and make: uv is bootstrapped with pip
# into .tools/ when it is not on PATH.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | cksum | cut -d' ' -f1)
# Not USER: make would take the shell's login name from the environment.
USER_ID ?= demo-user

.DEFAULT_GOAL := help
.PHONY: help install run serve token test check lint typecheck generate migrate revision bench format clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# A venv when the venv module works; plain pip into .tools/ where it does not
# (Debian without python3-venv).
$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools && .tools/bin/pip install --quiet \
		--disable-pip-version-check uv==$(UV_VERSION) \
	|| $(PYTHON) -m pip install --quiet --disable-pip-version-check \
		--target .tools uv==$(UV_VERSION)

$(SYNCED): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@rm -f $(VENV)/.synced-* && touch $@

install: $(SYNCED) ## Create .venv from uv.lock

run: $(SYNCED) ## Serve on 127.0.0.1:8000 with embedded PostgreSQL and a dev key
	$(BIN)/python -m impl --dev

serve: $(SYNCED) ## Serve the production configuration (WORKERS, default 2)
	$(BIN)/python -m impl --workers $(or $(WORKERS),2)

token: $(SYNCED) ## Print a development token: make token USER_ID=<id>
	@$(BIN)/python -m impl.dev_keys $(USER_ID)

test: $(SYNCED) ## Run the whole test suite on real PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

check: lint typecheck ## Lint, format check, mypy, and generated/ freshness
	$(BIN)/python tools/generate.py --check

lint: $(SYNCED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(SYNCED)
	$(BIN)/mypy

generate: $(SYNCED) ## Regenerate generated/ from openapi.yaml
	$(BIN)/python tools/generate.py

migrate: $(SYNCED) ## Bring DATABASE_URL's schema to the latest Alembic revision
	$(BIN)/python -m impl.migrate upgrade

revision: $(SYNCED) ## Write a migration for impl/tables.py: make revision MESSAGE="add due_at"
	@test -n "$(MESSAGE)" || { echo 'say what it does: make revision MESSAGE="add due_at"'; exit 2; }
	$(BIN)/python -m impl.migrate revision "$(MESSAGE)"

bench: $(SYNCED) ## Service vs raw-asyncpg ceiling vs SQLModel tutorial app (needs wrk)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || { \
		echo "make bench needs wrk: sudo apt-get install wrk (or brew install wrk)"; exit 1; }
	$(BIN)/python -m bench.run

format: $(SYNCED) ## Apply ruff's formatting and fixes (it lists what it cannot fix)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix --exit-zero .
	$(BIN)/ruff format .

clean: ## Remove .venv, .tools and caches (keeps .data)
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .hypothesis
