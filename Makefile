# Every target sets up what it needs, so a fresh machine needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format clean

$(BIN)/python:
	@echo "creating $(VENV) with $(PYTHON) and upgrading pip..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip names each package as it collects and installs it, so a first install (2 to 3 minutes,
# most of it downloading NumPy, SciPy, pandas, pyarrow, matplotlib and Dask) shows its progress.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing funnelsim and its test and benchmark extras into $(VENV) (2 to 3 minutes the first time)..."
	$(BIN)/python -m pip install -e ".[test,bench]"
	touch $(STAMP)

demo: $(STAMP)
	@echo "make demo: 40 replications of each policy over two measured years, then the report;"
	@echo "about 2 to 4 minutes on a 2-core machine, the more the busier it is (docs/experiments.md); funnelsim prints"
	@echo "its own estimate for this machine once it has timed the first runs."
	$(BIN)/funnelsim sweep experiments/aligned-vs-misaligned.yaml --out results/demo --overwrite
	$(BIN)/funnelsim report results/demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --write docs/performance.md

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
