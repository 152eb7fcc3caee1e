# The README's two commands: `make test` and `make bench`. Both set up everything on a fresh
# machine (virtual environment, core + every adapter in editable mode, the broker's jars).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ADAPTERS := $(patsubst %/pyproject.toml,%,$(wildcard adapters/*/pyproject.toml))
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: test test-slow bench matrix readme-bad-input lint typecheck pytest venv clean

test: lint typecheck pytest

# The long randomized schedules (issue 7): 50+ seeded fault + pause/resume schedules per run.
test-slow: $(STAMP)
	$(BIN)/pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/pauseable bench
	$(BIN)/python scripts/splice_readme.py bench-table benchmarks/results/bench.md

# Runs the conformance suite on every installed backend and puts the matrix into README.md.
matrix: $(STAMP)
	$(BIN)/pauseable conformance --markdown .conformance.md
	$(BIN)/python scripts/splice_readme.py conformance-matrix .conformance.md
	rm -f .conformance.md

# The README's "Bad input" table, rendered from the rows that tests/test_bad_input.py runs.
readme-bad-input: $(STAMP)
	$(BIN)/python tests/bad_input.py > .bad-input.md
	$(BIN)/python scripts/splice_readme.py bad-input .bad-input.md
	rm -f .bad-input.md

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt $(addsuffix /pyproject.toml,$(ADAPTERS))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]' $(addprefix -e ,$(ADAPTERS))
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check pauseable tests examples scripts $(ADAPTERS)
	$(BIN)/ruff format --check pauseable tests examples scripts $(ADAPTERS)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
