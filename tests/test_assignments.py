"""The assignments, as nbgrader releases and grades them.

- The committed student notebook is exactly what ``nbgrader generate_assignment`` makes
  from the committed source now, and gives away no solution and no hidden test; no
  committed notebook carries outputs.
- Graded by ``nbgrader autograde`` itself (submissions in ``grader/submitted/<student>/``,
  scores read from nbgrader's ``Gradebook``): the solution scores full marks, the
  untouched student notebook 0 without stopping the grading, one exercise done scores
  exactly that exercise's points, and edited or deleted graded cells change nothing.
- Run in-process on the notebook's own cells: each graded cell passes other correct
  implementations and fails typical mistakes with a message saying what went wrong.

All nbgrader work happens in a temporary course directory with its own gradebook and
Jupyter folders (``--course-dir``, ``--db``, ``JUPYTER_CONFIG_DIR``...), never in the
repository or ``~/.jupyter``. The grading, the slow part, runs once per test session,
shared by pytest-xdist's workers through a lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import release

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_convolution"
NOTEBOOK = "convolution"
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
STUDENT = ROOT / "notebooks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
# Each exercise: the grade_id of its solution cell -> its points. Its graded cells are test_<grade_id>_*.
EXERCISES = {"output_size": 3, "conv2d_single": 4, "conv2d_multi": 3}
TOTAL = 10
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def cells_by_id(nb) -> dict[str, nbformat.NotebookNode]:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if "grade_id" in nbgrader_meta(c)}


def graded_cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {gid: c for gid, c in cells_by_id(nb).items() if nbgrader_meta(c).get("grade")}


def read(path: Path):
    return nbformat.read(path, as_version=4)


# ----------------------------------------------------------------------------- the committed notebooks

def test_source_notebook_exercises_and_points():
    """Every graded cell says what it checks; each exercise's points add up as its heading says, 10 in all."""
    nb = read(SOURCE)
    graded = graded_cells(nb)
    assert sum(nbgrader_meta(c)["points"] for c in graded.values()) == TOTAL
    for name, points in EXERCISES.items():
        cells = {gid: c for gid, c in graded.items() if gid.startswith(f"test_{name}_")}
        assert sum(nbgrader_meta(c)["points"] for c in cells.values()) == points, name
        solution = cells_by_id(nb)[name]
        assert nbgrader_meta(solution)["solution"] and not nbgrader_meta(solution)["grade"]
        assert solution.source.count("### BEGIN SOLUTION") == solution.source.count("### END SOLUTION") == 1
        assert f"def {name}(" in solution.source
    assert set(graded) == {gid for gid in graded if any(gid.startswith(f"test_{n}_") for n in EXERCISES)}
    for gid, cell in graded.items():
        assert cell.source.startswith('"""'), f"{gid}: a graded cell opens with a docstring saying what it checks"
        assert nbgrader_meta(cell)["locked"], gid
    headings = re.findall(r"### Exercise \d+ \((\d+) points\): `(\w+)`",
                          "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    assert {name: int(points) for points, name in headings} == EXERCISES


def test_no_committed_notebook_has_outputs():
    paths = [p for folder in ("solutions", "notebooks") for p in release.notebooks(ROOT / folder)]
    assert SOURCE in paths and STUDENT in paths
    with_outputs = [str(p.relative_to(ROOT)) for p in paths if release.has_outputs(read(p))]
    assert with_outputs == [], "strip them: python -m grader.release"


def secret_lines(nb) -> set[str]:
    """Lines inside solution and hidden-test regions that appear nowhere outside them."""
    inside, outside = set(), set()
    for cell in nb.cells:
        hidden = False
        for line in cell.source.splitlines():
            text = line.strip()
            if text in MARKERS:
                hidden = text.startswith("### BEGIN")
                continue
            (inside if hidden else outside).add(text)
    return {line for line in inside - outside if line and not line.startswith("#")}


def test_student_notebook_gives_away_no_solution_or_hidden_test():
    text = STUDENT.read_text()
    for marker in MARKERS:
        assert marker not in text
    secrets = secret_lines(read(SOURCE))
    assert len(secrets) > 30  # the solutions and hidden tests were found
    student_lines = {line.strip() for cell in read(STUDENT).cells for line in cell.source.splitlines()}
    assert sorted(secrets & student_lines) == []
    for gid, cell in cells_by_id(read(STUDENT)).items():
        if gid in EXERCISES:
            assert cell.source.rstrip().endswith("raise NotImplementedError()"), gid


# ----------------------------------------------------------------------------- nbgrader, once per session

@dataclass
class Grading:
    course: Path  # the temporary course directory
    scores: dict  # student -> {"score", "max_score", "needs_manual_grade", "cells": {grade_id: score}}

    def autograded(self, student: str):
        return read(self.course / "grader" / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb")


def submission(release_nb, source_nb, solved=(), tamper=False):
    """The student notebook with the solutions of ``solved`` filled in; ``tamper``: graded cells edited or gone."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(release_nb)))
    answers = cells_by_id(source_nb)
    cells = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade_id") in solved:
            cell.source = answers[meta["grade_id"]].source
        if tamper and meta.get("grade"):
            if meta["grade_id"] == "test_conv2d_multi_torch":
                continue  # deleted
            cell.source = '"""Passes."""\npass'
            meta["points"] = 5
            meta["locked"] = False
        cells.append(cell)
    nb.cells = cells
    return nb


def submissions(release_nb, source_nb) -> dict:
    subs = {"solution": source_nb, "blank": release_nb,
            "tampered": submission(release_nb, source_nb, tamper=True)}
    for name in EXERCISES:
        subs[f"only_{name}"] = submission(release_nb, source_nb, solved=[name])
    return subs


def grade(course: Path) -> dict:
    """Release and autograde in ``course`` with nbgrader's commands; return the gradebook's scores."""
    jupyter = course / "jupyter"  # no ~/.jupyter, ~/.ipython or user kernels: the same on every machine
    env = release.nbgrader_env(JUPYTER_CONFIG_DIR=str(jupyter / "config"), JUPYTER_DATA_DIR=str(jupyter / "data"),
                               JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"), IPYTHONDIR=str(jupyter / "ipython"))
    env.pop("JUPYTER_PATH", None)
    db = f"sqlite:///{course / 'gradebook.db'}"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    release.generate(ASSIGNMENT, course_dir=course, db_url=db, cwd=course, env=env)
    released = read(course / "notebooks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    for student, nb in submissions(released, read(SOURCE)).items():
        folder = course / "grader" / "submitted" / student / ASSIGNMENT  # what `nbgrader collect` makes
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
    release.run_nbgrader("autograde", ASSIGNMENT, course_dir=course, db_url=db, cwd=course, env=env)
    scores = {}
    with Gradebook(db) as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            notebook = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, sub.student.id)
            scores[sub.student.id] = {"score": sub.score, "max_score": sub.max_score,
                                      "needs_manual_grade": sub.needs_manual_grade,
                                      "cells": {g.name: g.score for g in notebook.grades}}
    return scores


@contextlib.contextmanager
def locked(path: Path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def grading(tmp_path_factory) -> Grading:
    """One release and one autograde run per session; under xdist the first worker does it, the other reads it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session
    course, result = base / "assignments", base / "assignments.json"
    with locked(base / "assignments.lock"):
        if not result.exists():
            shutil.rmtree(course, ignore_errors=True)
            course.mkdir()
            result.write_text(json.dumps(grade(course)))
    return Grading(course, json.loads(result.read_text()))


def test_student_notebook_is_what_nbgrader_generates_now(grading):
    generated = grading.course / "notebooks" / ASSIGNMENT

    def summary(nb):
        return [(c.cell_type, c.source, nbgrader_meta(c)) for c in nb.cells]

    assert summary(read(STUDENT)) == summary(read(generated / f"{NOTEBOOK}.ipynb")), \
        "regenerate it: python -m grader.release"
    assert release.differences(generated, ROOT / "notebooks" / ASSIGNMENT) == []


def test_solution_scores_full_marks(grading):
    score = grading.scores["solution"]
    assert score["cells"] == {gid: 1.0 for gid in graded_cells(read(SOURCE))}
    assert (score["score"], score["max_score"], score["needs_manual_grade"]) == (TOTAL, TOTAL, False)
    # The hidden tests were restored and run, not only the visible ones.
    restored = graded_cells(grading.autograded("solution"))
    assert sum("### BEGIN HIDDEN TESTS" in c.source for c in restored.values()) == len(restored)
    # The whole notebook runs top to bottom without an error (the Try it explorers included).
    errors = [c.id for c in grading.autograded("solution").cells
              if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errors == []


def test_blank_notebook_scores_zero_and_is_still_graded(grading):
    score = grading.scores["blank"]
    assert (score["score"], score["max_score"], score["needs_manual_grade"]) == (0, TOTAL, False)
    assert set(score["cells"].values()) == {0.0}
    # Every graded cell ran, and told the student what to do rather than showing NotImplementedError.
    for gid, cell in graded_cells(grading.autograded("blank")).items():
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1 and errors[0].ename == "AssertionError", gid
        assert "is not written yet: replace `raise NotImplementedError()`" in errors[0].evalue, gid


@pytest.mark.parametrize("exercise", EXERCISES)
def test_one_exercise_done_scores_exactly_its_points(grading, exercise):
    score = grading.scores[f"only_{exercise}"]
    assert score["score"] == EXERCISES[exercise]
    assert {gid for gid, s in score["cells"].items() if s} == \
        {gid for gid in graded_cells(read(SOURCE)) if gid.startswith(f"test_{exercise}_")}


def test_edited_or_deleted_graded_cells_change_nothing(grading):
    """Graded cells replaced by `pass` (points raised, unlocked) or deleted: nbgrader restores or flags them."""
    score = grading.scores["tampered"]
    assert (score["score"], score["max_score"]) == (0, TOTAL)
    restored = graded_cells(grading.autograded("tampered"))
    source = graded_cells(read(SOURCE))
    for gid, cell in restored.items():
        # (a cell nbgrader adds back opens with a comment saying so)
        assert cell.source.endswith(source[gid].source) and nbgrader_meta(cell)["points"] == 1, gid
    # A deleted graded cell is added back and graded (OverwriteCells.add_missing_cells in the course's
    # config): 0 for that cell, and nothing held for manual grading.
    assert score["cells"]["test_conv2d_multi_torch"] == 0
    assert "test_conv2d_multi_torch" in restored
    assert not score["needs_manual_grade"]


# ----------------------------------------------------------------------------- the graded cells, in-process

CONV2D_SINGLE = """
def conv2d_single(x, w, b=0.0, stride=1, padding=0):
    xp = {pad}
    kh, kw = np.shape(w)
    return np.array([[np.sum(xp[i:i + kh, j:j + kw] * {kernel}) + b for j in range(0, xp.shape[1] - kw + 1, {step})]
                     for i in range(0, xp.shape[0] - kh + 1, {step})])
"""
SINGLE_RIGHT = dict(pad="np.pad(np.asarray(x, float), padding)", kernel="w", step="stride")

CONV2D_MULTI = """
def conv2d_multi(x, w, b=None, stride=1, padding=0):
    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding)))
    c_out, c_in, kh, kw = np.shape(w)
    return np.array([[[np.sum(xp[:, i:i + kh, j:j + kw] * w[o]) {bias} for j in range(0, xp.shape[2] - kw + 1, stride)]
                      for i in range(0, xp.shape[1] - kh + 1, stride)] for o in range({maps})])
"""
MULTI_RIGHT = dict(bias="+ (0 if b is None else b[o])", maps="c_out")


def output_size(body: str) -> str:
    return f"def output_size(i, k, s=1, p=0, d=1):\n    {body}\n"


# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "output_size": output_size("return int((i + 2 * p - d * (k - 1) - 1) / s) + 1  # int() floors what is >= 0"),
    "conv2d_single": CONV2D_SINGLE.format(**SINGLE_RIGHT),
    "conv2d_multi": CONV2D_MULTI.format(**MULTI_RIGHT),
}

# (graded cell, the student's function, what the failure message must say)
MISTAKES = [
    ("test_output_size_basic", output_size("pass"), ["expected the int 3, got None of type NoneType"]),
    ("test_output_size_padding_stride", output_size("return (i + 2 * p - k) / s + 1"),
     ["output_size(5, 3, s=1, p=1): expected the int 5, got 5.0 of type float", "Hint: a size is a whole number"]),
    ("test_output_size_padding_stride", output_size("return (i - k) // s + 1"),
     ["output_size(5, 3, s=1, p=1): expected 5, got 3.", "Hint: p = 1 on each side"]),
    ("test_output_size_dilation", output_size("return (i + 2 * p - k) // s + 1"),
     ["output_size(7, 3, s=1, p=0, d=2): expected 3, got 5.", "span 5"]),
    ("test_conv2d_single_shape", "def conv2d_single(x, w, b=0.0, stride=1, padding=0):\n    np.zeros(3)\n",
     ["got None; does your function end with `return`?"]),
    ("test_conv2d_single_values", CONV2D_SINGLE.format(**{**SINGLE_RIGHT, "kernel": "w[::-1, ::-1]"}),
     ["9 of 9 elements are wrong; the first at index (0, 0): expected -4.5, got 5.5", "do not flip the kernel"]),
    ("test_conv2d_single_padding", CONV2D_SINGLE.format(**{**SINGLE_RIGHT, "pad": "np.asarray(x, float)"}),
     ["padding=1): expected shape (3, 3), got shape (1, 1)", "the corner window covers 4 ones"]),
    ("test_conv2d_single_stride", CONV2D_SINGLE.format(**{**SINGLE_RIGHT, "step": "1"}),
     ["stride=2): expected shape (2, 2), got shape (4, 4)", "windows start at rows and columns 0 and 2"]),
    ("test_conv2d_multi_shape", CONV2D_MULTI.format(**{**MULTI_RIGHT, "maps": "c_in"}),
     ["w (4, 3, 3, 3), stride=1, padding=0: expected shape (4, 4, 4), got shape (3, 4, 4)", "C_out is w.shape[0]"]),
    ("test_conv2d_multi_convlib", CONV2D_MULTI.format(**{**MULTI_RIGHT, "bias": ""}),
     ["1 of 1 elements are wrong; the first at index (0, 0, 0): expected 28, got 27", "then adds b[o]"]),
    ("test_conv2d_multi_torch", "def conv2d_multi(x, w, b=None, stride=1, padding=0):\n    raise NotImplementedError\n",
     ["conv2d_multi is not written yet"]),
]


@pytest.fixture(scope="module")
def setup_namespace():
    """The notebook's setup cell, run once: numpy, convlib and the checks the graded cells call."""
    namespace = {}
    exec(cells_by_id(read(SOURCE))["setup"].source, namespace)
    return namespace


def run_graded(namespace: dict, function: str, gid: str) -> None:
    """Define the student's function, then run the graded cell ``gid`` (hidden tests included)."""
    namespace = dict(namespace)
    exec(function, namespace)
    exec(graded_cells(read(SOURCE))[gid].source, namespace)


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("how", ["solution", "other"])
def test_graded_cells_pass_correct_implementations(setup_namespace, exercise, how):
    function = cells_by_id(read(SOURCE))[exercise].source if how == "solution" else OTHER_RIGHT[exercise]
    for gid in graded_cells(read(SOURCE)):
        if gid.startswith(f"test_{exercise}_"):
            run_graded(setup_namespace, function, gid)


@pytest.mark.parametrize(("gid", "function", "says"), MISTAKES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_graded_cell_says_what_went_wrong(setup_namespace, gid, function, says):
    with pytest.raises(AssertionError) as failure:
        run_graded(setup_namespace, function, gid)
    message = str(failure.value)
    for fragment in says:
        assert fragment in message
