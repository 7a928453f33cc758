# Two commands work on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/sms-assistant
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench eval studio migrate clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.runtime-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.runtime-installed

# A local .env with a random webhook token, so `make run` and `sms-assistant simulate` agree out
# of the box. Put your real Twilio Auth Token here before pointing a number at the server.
.env:
	cp .env.example .env
	@chmod 600 .env  # it holds the webhook token (and later your real secrets)
	@echo "TWILIO_AUTH_TOKEN=$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(16))')" >> .env
	@echo "created .env with a random local TWILIO_AUTH_TOKEN"

run: $(VENV)/.runtime-installed .env
	$(CLI) migrate
	$(CLI) serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.runtime-installed .env
	$(CLI) migrate

# Tests are independent (own ports, temp dirs, databases), so they run in parallel processes:
# waiting on servers and subprocesses dominates, so 4 workers pay off even on 2 cores; idle
# workers take queued tests from busy ones (worksteal), so the slow ones, sorted first, spread.
PYTEST_ARGS ?= -n 4 --dist worksteal

test: $(VENV)/.dev-installed
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# How well texts are understood without an LLM (labelled bank, slots, conversations); fails
# below its floors. Also run by the test suite (tests/graph/test_eval.py).
eval: $(VENV)/.dev-installed
	$(PY) -m eval.run

BENCHES = turn_overhead checkpoint_storage cold_start memory_recall tokens_per_turn ingest \
	turns_in_flight webhook_load postgres_scale

# Every benchmark, one after the other (they alternate ours and a peer themselves), then
# bench/results.md from their figures. Takes about 30 minutes; postgres_scale needs the local
# Postgres server.
bench: $(VENV)/.dev-installed
	rm -f bench/results.json
	for name in $(BENCHES); do BENCH_RECORD=1 $(PY) -m bench.$$name || exit 1; done
	$(PY) -m bench.results

# LangGraph Studio against the same graph (offline planner unless an LLM is configured).
studio: $(VENV)/.dev-installed .env
	$(CLI) migrate
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true \
		$(VENV)/bin/langgraph dev --no-browser --host $(HOST) --port 2024

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
