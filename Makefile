# The course's commands. Each sets up .venv on first use (or when the pins change).
#   make lab      JupyterLab on the course, nbgrader's extension on
#   make test     lint, then the whole test suite
#   make bench    convlib against torch, and the explorers' redraw time
#   make figures  the explorer pictures in docs/figures/
#   make release  the students' notebooks/ from solutions/, with nbgrader
#   make book     the self-study book: the solution notebooks run and built into a static site, build/book/html
#   make grade    grade the collected submissions (JOBS at a time), then export the grades and the report
#   make feedback the students' feedback pages (python -m grader feedback)
#   make bench-grading  parallel autograding against serial nbgrader (minutes; apart from make bench)
# Every step of grading is a command of `python -m grader` (see `python -m grader --help`).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader reads grader/nbgrader_config.py through the Jupyter config path.
export JUPYTER_CONFIG_PATH := $(CURDIR)/grader
# nbgrader and the kernels run the tools of .venv (nbgrader calls alembic by name).
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install lab test lint bench figures release book grade feedback bench-grading clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Jupyter refuses to run as root unless told; containers often are root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
# More options for jupyter lab, e.g. make lab LAB_ARGS="--no-browser --ServerApp.port=8890"
# (the browser tests start the course's JupyterLab this way, on a port and token of their own).
LAB_ARGS ?=

lab: install
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(LAB_FLAGS) $(LAB_ARGS)

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -n 2 --durations=10 --junitxml=build/test-results.xml

# Waits for a quiet machine before each timed block; e.g. BENCH_ARGS="--blas-env both --save run1.json".
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

figures: install
	$(BIN)/python scripts/make_figures.py

release: install
	$(BIN)/python -m grader.release

JOBS ?= 2

grade: install
	-$(BIN)/python -m grader autograde --jobs $(JOBS)  # a failed submission is reported; export the rest
	$(BIN)/python -m grader export
	$(BIN)/python -m grader report

feedback: install
	$(BIN)/python -m grader feedback

bench-grading: install
	$(BIN)/python -m bench.bench_grading --jobs $(JOBS)

book: install
	$(BIN)/python scripts/build_book.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
