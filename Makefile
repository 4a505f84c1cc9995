# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint fuzz bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/singlewindow up --countries KH,VN,LA,TH,MY,SG --traffic 12

test: lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy

# The schema fuzzing of tests/api/test_fuzz.py, ten times deeper than `make test` runs it.
fuzz: $(STAMP)
	SINGLEWINDOW_FUZZ_EXAMPLES=50 $(BIN)/pytest tests/api/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python benchmarks/clearance.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
