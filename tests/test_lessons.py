"""Every lesson, as nbgrader releases and grades it and as a student meets its graded cells.

- The committed student notebook is exactly what ``nbgrader generate_assignment`` makes from
  the committed source now, and gives away no solution and no hidden test; no committed
  notebook carries outputs.
- The solution notebook runs top to bottom in a plain kernel with no error in any cell.
- Graded by ``nbgrader autograde`` with the course's configuration (submissions in
  ``grader/submitted/<student>/``, scores read from nbgrader's ``Gradebook``): the solution
  scores full marks, the untouched student notebook 0 without stopping the grading, each
  exercise done alone exactly its points, and edited or deleted graded cells change nothing.
- In-process, as the trusted grader runs them: each graded cell passes another correct
  answer and fails each plausible mistake of ``tests/mistakes/<assignment>.py`` with a
  message that points at it.

All nbgrader work happens in a temporary course directory with its own gradebook and
Jupyter folders, never in the repository or ``~/.jupyter``. Each lesson is graded once per
test session, shared by pytest-xdist's workers through a lock file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from grader import release
from grader.checks import CheckFailed
from tests.grading import locked
from tests.hostile import FAKE_PASSED, PATCH_NUMPY, REDEFINE_CHECKS, STDERR_NOISE
from tests.lessons import MARKERS, ROOT, Lesson, cells_by_id, copy, graded_cells, lessons, nbgrader_meta, read

LESSONS = lessons()
by_lesson = pytest.mark.parametrize("lesson", LESSONS, ids=str)


# ----------------------------------------------------------------------------- the committed notebooks

@by_lesson
def test_exercises_points_and_graded_cells(lesson: Lesson):
    """Each exercise's points add up as its heading says; the notebook's top gives the total."""
    nb = lesson.source
    assert lesson.exercises, "a lesson has autograded exercises"
    graded = graded_cells(nb)
    assert set(graded) == {gid for ex in lesson.exercises for gid in lesson.graded_cells_of(ex)}, \
        "every graded cell is named test_<exercise>_<behaviour>"
    for gid, cell in graded.items():
        assert cell.source.startswith('"""'), f"{gid}: a graded cell opens with a docstring saying what it checks"
        assert nbgrader_meta(cell)["locked"], gid
        assert "raises-exception" in cell.metadata.get("tags", []), \
            f"{gid}: tagged raises-exception, so that Run All goes on past an unsolved exercise"
        assert "call(" in cell.source, f"{gid}: the student's function runs through call()"
    for name in lesson.exercises:
        solution = cells_by_id(nb)[name]
        assert solution.source.count("### BEGIN SOLUTION") == solution.source.count("### END SOLUTION") == 1
        assert re.search(rf"^(def {name}\(|{name}\s*=)", solution.source, re.M), f"{name} is defined in its cell"
    headings = re.findall(r"### Exercise \d+ \((\d+) points?\): `(\w+)`",
                          "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    assert {name: int(points) for points, name in headings} == {**lesson.exercises, **lesson.written}
    total = lesson.auto_points + sum(lesson.written.values())
    assert f"{total} points" in nb.cells[0].source, "the notebook's top says how many points it has"


def test_no_committed_notebook_has_outputs():
    paths = [p for folder in ("solutions", "notebooks") for p in release.notebooks(ROOT / folder)]
    assert {lesson.source_path for lesson in LESSONS} | {lesson.student_path for lesson in LESSONS} <= set(paths)
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


@by_lesson
def test_student_notebook_gives_away_no_solution_or_hidden_test(lesson: Lesson):
    text = lesson.student_path.read_text()
    for marker in MARKERS:
        assert marker not in text
    secrets = secret_lines(lesson.source)
    assert len(secrets) > 10  # the solutions and hidden tests were found
    student_lines = {line.strip() for cell in lesson.student.cells for line in cell.source.splitlines()}
    assert sorted(secrets & student_lines) == []
    for gid, cell in cells_by_id(lesson.student).items():
        if gid in lesson.exercises:
            assert "raise NotImplementedError()" in cell.source, gid


@by_lesson
def test_solution_runs_top_to_bottom_in_a_plain_kernel(lesson: Lesson, tmp_path):
    """What a teacher sees on Run All of the solution: every cell runs, none shows an error."""
    nb = read(lesson.source_path)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")


# ----------------------------------------------------------------------------- nbgrader, once per lesson

def with_cell_after_setup(nb, source: str):
    nb = copy(nb)
    at = next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == "setup") + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


# Every lesson is graded with one cheat and one noisy honest student beside the others (tests/hostile.py has
# the whole hostile class, on lesson 01): the checks redefined, numpy patched and "passed" printed score 0;
# warnings on stderr and a sys.exit() cost a correct notebook nothing.
CHEAT = REDEFINE_CHECKS + PATCH_NUMPY + FAKE_PASSED
NOISY = STDERR_NOISE + "import sys\nsys.exit()\n"


def submissions(lesson: Lesson) -> dict:
    subs = {"solution": lesson.source, "blank": lesson.student, "tampered": lesson.solved(tamper=True),
            "cheat": with_cell_after_setup(lesson.student, CHEAT),
            "noisy": with_cell_after_setup(lesson.solved(lesson.exercises), NOISY)}
    for name in lesson.exercises:
        subs[f"only_{name}"] = lesson.solved([name])
    return subs


def course_env(course: Path) -> dict[str, str]:
    """nbgrader's environment for a temporary ``course``: no ~/.jupyter, ~/.ipython or user kernels."""
    jupyter = course / "jupyter"
    env = release.nbgrader_env(JUPYTER_CONFIG_DIR=str(jupyter / "config"), JUPYTER_DATA_DIR=str(jupyter / "data"),
                               JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"), IPYTHONDIR=str(jupyter / "ipython"))
    env.pop("JUPYTER_PATH", None)
    return env


def grade(lesson: Lesson, course: Path, source=None, only=None) -> dict:
    """Release and autograde in ``course`` with nbgrader's commands; return the gradebook's scores.

    ``source``: a notebook to release in place of the committed source (e.g. one changed on purpose);
    ``only``: the names of the submissions to grade (default: all of them).
    """
    env = course_env(course)
    db = f"sqlite:///{course / 'gradebook.db'}"
    shutil.copytree(ROOT / "solutions" / lesson.assignment, course / "solutions" / lesson.assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if source is not None:
        nbformat.write(source, course / "solutions" / lesson.assignment / f"{lesson.notebook}.ipynb")
    release.generate(lesson.assignment, course_dir=course, db_url=db, cwd=course, env=env)
    for student, nb in submissions(lesson).items():
        if only is not None and student not in only:
            continue
        folder = course / "grader" / "submitted" / student / lesson.assignment  # what `nbgrader collect` makes
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{lesson.notebook}.ipynb")
    release.run_nbgrader("autograde", lesson.assignment, course_dir=course, db_url=db, cwd=course, env=env)
    scores = {}
    with Gradebook(db) as gb:
        for sub in gb.find_assignment(lesson.assignment).submissions:
            notebook = gb.find_submission_notebook(lesson.notebook, lesson.assignment, sub.student.id)
            scores[sub.student.id] = {"score": sub.score, "max_score": sub.max_score,
                                      "needs_manual_grade": sub.needs_manual_grade,
                                      # the autograder's score: None where it leaves the cell to a human
                                      "cells": {g.name: g.auto_score for g in notebook.grades}}
    return scores


class Grading:
    def __init__(self, lesson: Lesson, course: Path, scores: dict):
        self.lesson, self.course, self.scores = lesson, course, scores

    def autograded(self, student: str):
        return read(self.course / "grader" / "autograded" / student / self.lesson.assignment /
                    f"{self.lesson.notebook}.ipynb")


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(lesson)``: one release and one autograde run per lesson and session, shared by xdist's workers."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session

    def run(lesson: Lesson) -> Grading:
        course, result = base / f"graded-{lesson}", base / f"graded-{lesson}.json"
        with locked(base / f"graded-{lesson}.lock"):
            if not result.exists():
                shutil.rmtree(course, ignore_errors=True)
                course.mkdir()
                result.write_text(json.dumps(grade(lesson, course)))
        return Grading(lesson, course, json.loads(result.read_text()))

    return run


@by_lesson
def test_student_notebook_is_what_nbgrader_generates_now(graded, lesson: Lesson):
    generated = graded(lesson).course / "notebooks" / lesson.assignment

    def summary(nb):
        return [(c.cell_type, c.source, nbgrader_meta(c)) for c in nb.cells]

    assert summary(lesson.student) == summary(read(generated / f"{lesson.notebook}.ipynb")), \
        "regenerate it: python -m grader.release"
    assert release.differences(generated, ROOT / "notebooks" / lesson.assignment) == []


@by_lesson
def test_solution_scores_full_marks(graded, lesson: Lesson):
    grading = graded(lesson)
    score = grading.scores["solution"]
    graded_ids = graded_cells(lesson.source)
    assert score["cells"] == {**{gid: float(nbgrader_meta(c)["points"]) for gid, c in graded_ids.items()},
                              **{gid: None for gid in lesson.written}}
    assert score["score"] == lesson.auto_points
    assert score["max_score"] == lesson.auto_points + sum(lesson.written.values())
    assert score["needs_manual_grade"] == bool(lesson.written)
    # The hidden tests were restored and run, not only the visible ones.
    restored = graded_cells(grading.autograded("solution"))
    assert all("### BEGIN HIDDEN TESTS" in c.source for c in restored.values())
    assert all(not any(o.output_type == "error" for o in c.outputs) for c in restored.values())


@by_lesson
def test_a_cheat_scores_zero_and_noise_costs_nothing(graded, lesson: Lesson):
    scores = graded(lesson).scores
    assert scores["cheat"]["score"] == 0
    assert scores["noisy"]["score"] == lesson.auto_points


@by_lesson
def test_blank_notebook_scores_zero_and_is_still_graded(graded, lesson: Lesson):
    grading = graded(lesson)
    score = grading.scores["blank"]
    # A task cell always waits for a human: nbgrader cannot tell whether the cells after it were answered.
    assert (score["score"], score["needs_manual_grade"]) == (0, bool(lesson.tasks))
    assert {s for gid, s in score["cells"].items() if gid not in lesson.written} == {0.0}
    # Every graded cell ran, and told the student what to do rather than showing NotImplementedError.
    for gid, cell in graded_cells(grading.autograded("blank")).items():
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1 and "is not written yet" in "\n".join(errors[0].traceback), gid


@pytest.mark.parametrize(("lesson", "exercise"), [(lesson, ex) for lesson in LESSONS for ex in lesson.exercises],
                         ids=lambda v: str(v))
def test_one_exercise_done_scores_exactly_its_points(graded, lesson: Lesson, exercise: str):
    score = graded(lesson).scores[f"only_{exercise}"]
    assert score["score"] == lesson.exercises[exercise]
    assert {gid for gid, s in score["cells"].items() if s} == set(lesson.graded_cells_of(exercise))


@by_lesson
def test_edited_or_deleted_graded_cells_change_nothing(graded, lesson: Lesson):
    """Graded cells replaced by `pass` (points raised, unlocked) or deleted: nbgrader restores or flags them."""
    grading = graded(lesson)
    score = grading.scores["tampered"]
    assert score["score"] == 0
    restored = graded_cells(grading.autograded("tampered"))
    source = graded_cells(lesson.source)
    assert set(restored) == set(source)  # the deleted one is added back (OverwriteCells.add_missing_cells)
    for gid, cell in restored.items():
        # (a cell nbgrader adds back opens with a comment saying so)
        assert cell.source.endswith(source[gid].source), gid
        assert nbgrader_meta(cell)["points"] == nbgrader_meta(source[gid])["points"], gid
    assert not score["needs_manual_grade"] or lesson.written


# ----------------------------------------------------------------------------- written answers and their mark schemes

by_lesson_with_tasks = pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if lesson.tasks], ids=str)


def mark_scheme(cell) -> list[str]:
    """The non-blank lines of a cell between ``### BEGIN MARK SCHEME`` and ``### END MARK SCHEME``."""
    lines = [line.strip() for line in cell.source.splitlines()]
    begin, end = lines.index("### BEGIN MARK SCHEME"), lines.index("### END MARK SCHEME")
    return [line for line in lines[begin + 1:end] if line]


def formgrader_html(path: Path, lesson: Lesson, student: str) -> str:
    """The Formgrader's page of a submission: nbgrader's ``formgrade`` template on its autograded notebook."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": lesson.assignment, "notebook_id": lesson.notebook, "submission_id": student,
                 "index": 0, "total": 1, "base_url": "", "student": student, "last_name": None, "first_name": None,
                 "notebook_path": str(path)}
    html, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    return html


@by_lesson_with_tasks
def test_mark_schemes_reach_the_grader_and_never_the_student(graded, lesson: Lesson):
    """Each written task carries a mark scheme in the source; the student copy has none of it; the Formgrader shows
    it beside every submission (autograde restores the task cell from the gradebook), blank ones included."""
    grading = graded(lesson)
    student_text = lesson.student_path.read_text()
    assert "MARK SCHEME" not in student_text
    student_cells = cells_by_id(lesson.student)
    for gid in lesson.tasks:
        scheme = mark_scheme(cells_by_id(lesson.source)[gid])
        assert len(scheme) >= 3, f"{gid}: a task cell holds its mark scheme"
        assert student_cells[gid].source.strip() and "MARK SCHEME" not in student_cells[gid].source, gid
        assert [line for line in scheme if line in student_text] == [], gid
        for student in ("solution", "blank"):
            assert mark_scheme(cells_by_id(grading.autograded(student))[gid]) == scheme, (gid, student)
    for student in ("solution", "blank"):
        path = grading.course / "grader" / "autograded" / student / lesson.assignment / f"{lesson.notebook}.ipynb"
        html = formgrader_html(path, lesson, student)
        assert html.count("BEGIN MARK SCHEME") == len(lesson.tasks), student


@by_lesson_with_tasks
def test_manual_grades_complete_the_score(graded, lesson: Lesson, tmp_path):
    """What the Formgrader does with a task's grade box (Grade.manual_score) adds to the autograded points."""
    db = tmp_path / "gradebook.db"
    shutil.copy(graded(lesson).course / "gradebook.db", db)  # the shared gradebook stays as autograde left it
    with Gradebook(f"sqlite:///{db}") as gb:
        submission = gb.find_submission(lesson.assignment, "solution")
        assert (submission.score, submission.needs_manual_grade) == (lesson.auto_points, True)
        for gid, points in lesson.tasks.items():
            grade = gb.find_grade(gid, lesson.notebook, lesson.assignment, "solution")
            assert (grade.auto_score, grade.needs_manual_grade, grade.max_score) == (None, True, points)
            grade.manual_score = points
            grade.needs_manual_grade = False  # as the Formgrader sets it on saving a score
        gb.db.commit()
        submission = gb.find_submission(lesson.assignment, "solution")
        assert (submission.score, submission.needs_manual_grade) == (submission.max_score, False)
        assert submission.max_score == lesson.auto_points + sum(lesson.written.values())


def feedback_html(course: Path, lesson: Lesson) -> str:
    """The solution's feedback page, generated once per course copy by stock ``nbgrader generate_feedback``."""
    with locked(course.parent / f"feedback-{lesson}.lock"):
        feedback = course / "grader" / "feedback" / "solution" / lesson.assignment / f"{lesson.notebook}.html"
        if not feedback.exists():
            release.run_nbgrader("generate_feedback", lesson.assignment, "--student=solution", course_dir=course,
                                 db_url=f"sqlite:///{course / 'gradebook.db'}", cwd=course, env=course_env(course))
    return feedback.read_text()


def results_rows(html: str) -> dict[str, list[str]]:
    """The feedback's results table: each written answer's row (result, points, message) by its grade id."""
    rows = {}
    for row in re.findall(r"<tr><td>written answer (\w+)</td>(.*?)</tr>", html):
        rows[row[0]] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]
    return rows


@by_lesson_with_tasks
def test_feedback_shows_no_mark_scheme(graded, lesson: Lesson):
    html = feedback_html(graded(lesson).course, lesson)
    assert all(f"<code>{gid}</code>" in html for gid in lesson.tasks)  # the questions are there ...
    assert "MARK SCHEME" not in html  # ... their mark schemes are not


@by_lesson_with_tasks
def test_feedback_tells_marked_answers_from_those_not_marked_yet(graded, lesson: Lesson, tmp_path):
    """Unmarked, a written answer shows no points (nbgrader's score says 0); marked in the gradebook as the
    Formgrader does, its points and the teacher's comment."""
    course = graded(lesson).course
    assert results_rows(feedback_html(course, lesson)) == {
        gid: ["not marked yet", f"- / {points:g}", ""] for gid, points in lesson.tasks.items()}
    marked = tmp_path / "course"
    shutil.copytree(course, marked, ignore=shutil.ignore_patterns("feedback"))
    first, *rest = lesson.tasks
    with Gradebook(f"sqlite:///{marked / 'gradebook.db'}") as gb:
        grade = gb.find_grade(first, lesson.notebook, lesson.assignment, "solution")
        grade.manual_score, grade.needs_manual_grade = 1.5, False  # as the Formgrader saves a score
        gb.find_comment(first, lesson.notebook, lesson.assignment, "solution").manual_comment = "Say what 1x1 costs."
        gb.db.commit()
    rows = results_rows(feedback_html(marked, lesson))
    assert rows[first] == ["marked by hand", f"1.5 / {lesson.tasks[first]:g}", "Say what 1x1 costs."]
    assert all(rows[gid][:2] == ["not marked yet", f"- / {lesson.tasks[gid]:g}"] for gid in rest)


# ----------------------------------------------------------------------------- the graded cells, in-process

def setup_namespace(lesson: Lesson) -> dict:
    """The notebook's setup cell, run: numpy, convlib and the checks the graded cells call."""
    namespace: dict = {}
    exec(cells_by_id(lesson.source)["setup"].source, namespace)
    return namespace


def run_graded(lesson: Lesson, gid: str, answers: dict[str, str] | None = None) -> None:
    """Every solution cell (``answers`` swapped in), then the graded cell ``gid`` with its hidden tests."""
    namespace = setup_namespace(lesson)
    for name in lesson.exercises:
        exec((answers or {}).get(name, cells_by_id(lesson.source)[name].source), namespace)
    exec(graded_cells(lesson.source)[gid].source, namespace)


def exercise_of(lesson: Lesson, gid: str) -> str:
    return next(ex for ex in lesson.exercises if gid.startswith(f"test_{ex}_"))


@pytest.mark.parametrize(("lesson", "exercise"), [(lesson, ex) for lesson in LESSONS for ex in lesson.exercises],
                         ids=lambda v: str(v))
@pytest.mark.parametrize("how", ["solution", "other"])
def test_graded_cells_pass_correct_answers(lesson: Lesson, exercise: str, how: str):
    answers = {} if how == "solution" else {exercise: lesson.mistakes.OTHER_RIGHT[exercise]}
    for gid in lesson.graded_cells_of(exercise):
        run_graded(lesson, gid, answers)


def mistakes():
    return [pytest.param(lesson, gid, source, says, id=f"{lesson}-{gid}-{i}")
            for lesson in LESSONS for i, (gid, source, says) in enumerate(lesson.mistakes.MISTAKES)]


@pytest.mark.parametrize(("lesson", "gid", "source", "says"), mistakes())
def test_graded_cell_says_what_went_wrong(lesson: Lesson, gid: str, source: str, says: list[str]):
    with pytest.raises(CheckFailed) as failure:
        run_graded(lesson, gid, {exercise_of(lesson, gid): source})
    message = str(failure.value)
    for fragment in says:
        assert fragment in message


@by_lesson
def test_corpus_covers_every_exercise(lesson: Lesson):
    """At least two plausible mistakes per exercise, one of them delegating to a reference."""
    corpus = lesson.mistakes
    assert set(corpus.OTHER_RIGHT) == set(lesson.exercises)
    for exercise in lesson.exercises:
        says = [s for gid, _, s in corpus.MISTAKES if exercise_of(lesson, gid) == exercise]
        assert len(says) >= 2, exercise
        assert any("the reference" in " ".join(s) for s in says), f"{exercise}: no delegating answer in the corpus"
