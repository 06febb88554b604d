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
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m bench
