# The course's commands. Each sets up .venv on first use (or when the pins change).
#   make lab      JupyterLab on the course, nbgrader's extension on
#   make test     lint, then the whole test suite
#   make bench    convlib against torch, and the explorers' redraw time
#   make figures  the explorer pictures in docs/figures/
#   make release  the students' notebooks/ from solutions/, with nbgrader

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader reads grader/nbgrader_config.py through the Jupyter config path.
export JUPYTER_CONFIG_PATH := $(CURDIR)/grader
# nbgrader and the kernels run the tools of .venv (nbgrader calls alembic by name).
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install lab test lint bench figures release clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Jupyter refuses to run as root unless told; containers often are root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(LAB_FLAGS)

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -n 2 --durations=10

# Waits for a quiet machine before each timed block; e.g. BENCH_ARGS="--blas-env both --save run1.json".
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

figures: install
	$(BIN)/python scripts/make_figures.py

release: install
	$(BIN)/python -m grader.release

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
