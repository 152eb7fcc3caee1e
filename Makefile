# The README's two commands: `make test` and `make bench` (and `make docs`, the site). Both set up everything on a
# fresh machine (virtual environment, every distribution of the repository in editable mode, the broker's jars).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ADAPTERS := $(patsubst %/pyproject.toml,%,$(wildcard adapters/*/pyproject.toml))
# Plugins beside the adapters (metrics, integrations): found through the same entry-point group.
PLUGINS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
# The runtime (.), the testing kit, the benchmark, the adapters and the plugins: each a distribution of its own.
DISTS := . testing benchmarks $(ADAPTERS) $(PLUGINS)
SOURCES := pauseable testing benchmarks/pauseable_bench tests examples scripts docs/_hooks $(ADAPTERS) $(PLUGINS)
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: test test-slow test-extra bench matrix readme-bad-input docs lint typecheck pytest venv clean

test: lint typecheck pytest

# The long randomized schedules (issue 7): 50+ seeded fault + pause/resume schedules per run, and the fault runs.
test-slow: $(STAMP)
	$(BIN)/pytest -m slow $(PYTEST_ARGS)

# The other long cases make test leaves out: other backends' cases of one-client checks, whole-suite reruns,
# benchmark sections.
test-extra: $(STAMP)
	$(BIN)/pytest -m extra $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/pauseable bench
	$(BIN)/python scripts/splice_readme.py bench-table benchmarks/results/bench.md docs/benchmarks.md

# Runs the conformance suite on every installed backend and puts the matrix into the contract's page.
matrix: $(STAMP)
	$(BIN)/pauseable conformance --markdown .conformance.md
	$(BIN)/python scripts/splice_readme.py conformance-matrix .conformance.md docs/contract.md
	rm -f .conformance.md

# The "Bad input" page's table, rendered from the rows that tests/test_bad_input.py runs.
readme-bad-input: $(STAMP)
	$(BIN)/python tests/bad_input.py > .bad-input.md
	$(BIN)/python scripts/splice_readme.py bad-input .bad-input.md docs/bad-input.md
	rm -f .bad-input.md

# The docs site into site/, strict (a warning, a broken link or a missing reference fails) and offline.
# `make test` builds it too (tests/test_docs.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

venv: $(STAMP)

$(STAMP): constraints.txt $(addsuffix /pyproject.toml,$(DISTS))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt --group dev $(addprefix -e ,$(DISTS))
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) site .mypy_cache .pytest_cache .ruff_cache .hypothesis
