# The two set-up commands of the README: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

$(BIN)/paygate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

.PHONY: install serve test lint bench
install: $(BIN)/paygate

serve: install
	$(BIN)/paygate serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -p no:cacheprovider

# `make bench`: the HTTP bench, 5 alternating rounds of 3 s per route (about 10 minutes on 2
# CPUs; needs wrk); fails when a target is missed. `make bench QUICK=1`: the HTTP bench's 2
# rounds of 1 s (about 2 minutes), then the webhook, statistics and page benches on small data
# sets (a few more minutes), all four run, failing at the end if one failed. BENCH_ARGS goes to the
# HTTP bench (e.g. BENCH_ARGS="--db postgres").
bench: install
ifdef QUICK
	status=0; \
	$(BIN)/python -m bench http --quick $(BENCH_ARGS) || status=1; \
	$(BIN)/python -m bench webhooks --store sqlite --events 500 --seconds 2 || status=1; \
	$(BIN)/python -m bench stats --db sqlite --payments 20000 --merchants 30 --calls 5 \
		|| status=1; \
	$(BIN)/python -m bench pages --payments 20000 --requests 50 || status=1; \
	exit $$status
else
	$(BIN)/python -m bench http $(BENCH_ARGS)
endif
