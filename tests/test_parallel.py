"""``autograde --jobs N`` gives exactly the grades of serial stock ``nbgrader autograde``, and no submission stops it.

- The same submissions (right, partly right, broken, blank, one that crashes its kernel, one
  that hangs in a cell until nbgrader's cell timeout) are graded twice from one released
  course: by the ``nbgrader autograde`` command itself, serially, and by ``python -m grader
  autograde --jobs 2``. The exported CSVs are equal, and so is every row of every submission
  in the two gradebooks (scores, comments, flags, who needs a hand grade).
- A submission that crashes its kernel keeps the points earned before the crash, and the
  graded cells after it score 0 with the reason (grader/verdict.py), in both.
- Without the sandbox, a submission that kills its grading process, and one that outlasts
  ``--timeout``, are reported failed and recorded nowhere, while the others are graded; a
  grade recorded before the batch stays exactly as it was.
- The per-worker gradebooks: a submission's rows go from a copy into the course's
  gradebook whole, replace what was there, and touch no other student's.
"""

from __future__ import annotations

import os
import shutil

import pytest
from nbgrader.api import Gradebook

from grader import gradebooks
from grader.course import prepare_environment
from tests.grading import (
    answered,
    deserved,
    first_lesson,
    grader,
    jupyter_env,
    make_course,
    nbgrader,
    read_csv,
    shared,
    teacher_flags,
    write,
)
from tests.lessons import graded_cells, read

LESSON = first_lesson()
EXERCISES = list(LESSON.exercises)
FIRST, LAST = EXERCISES[0], EXERCISES[-1]
CELL_TIMEOUT = 10  # seconds a cell may run in the test course: the trusted verdict's (its default) and nbgrader's own
ANSWERS = {  # student -> exercise -> how (tests/grading.py)
    "alice": {e: "right" for e in EXERCISES},
    "bob": {FIRST: "right", **{e: "none" for e in EXERCISES[1:]}},
    "carol": {FIRST: "broken", **{e: "right" for e in EXERCISES[1:]}},
    "dave": {},
    "crash": {e: "right" for e in EXERCISES},  # and its first answer cell ends the kernel
    "hang": {e: "right" for e in EXERCISES},  # and its last answer cell never returns
}
EXTRA = {  # student -> code put at the top of an answer cell: what a submission can do to the grader
    "crash": (FIRST, "import os\nos._exit(1)\n"),
    "hang": (LAST, "while True:\n    pass\n"),
    "killer": (FIRST, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"),  # the kernel's parent
    "sleeper": (FIRST, "import time\ntime.sleep(3600)\n"),
}


def submission(student: str, released):
    nb = answered(LESSON, released, ANSWERS.get(student, {e: "right" for e in EXERCISES}))
    if student in EXTRA:
        exercise, code = EXTRA[student]
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == exercise)
        cell.source = code + cell.source
    return nb


def place(course, students, released) -> None:
    """Put the students' notebooks where ``collect`` would: grader/submitted/<student>/<assignment>/."""
    for student in students:
        write(submission(student, released),
              course / "grader" / "submitted" / student / LESSON.assignment / f"{LESSON.notebook}.ipynb")


def dump(db_path) -> dict:
    """Every submission's rows in the gradebook, by names rather than nbgrader's random ids."""
    out = {}
    with Gradebook(f"sqlite:///{db_path}") as gb:
        for assignment in gb.assignments:
            for submitted in assignment.submissions:
                for notebook in submitted.notebooks:
                    key = f"{submitted.student.id}/{assignment.name}/{notebook.name}"
                    out[key] = {
                        "timestamp": str(submitted.timestamp), "flagged": notebook.flagged,
                        "late_penalty": notebook.late_submission_penalty,
                        "grades": {g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                                   for g in notebook.grades},
                        "comments": {c.name: (c.auto_comment, c.manual_comment) for c in notebook.comments},
                    }
    return out


# ----------------------------------------------------------------------------- serial stock against --jobs 2

def run_both(base) -> dict:
    course = make_course(base, [LESSON], config=f"c.TrustedExecute.cell_timeout = {CELL_TIMEOUT}\n"
                                                f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n")
    env = jupyter_env(base / "jupyter")
    grader(course, "release", env=env)
    released = read(course / "notebooks" / LESSON.assignment / f"{LESSON.notebook}.ipynb")
    place(course, ANSWERS, released)
    stock, ours = base / "stock", base / "parallel"
    shutil.copytree(course, stock)
    shutil.move(course, ours)
    serial = nbgrader("autograde", LESSON.assignment, *teacher_flags(stock), env=env, cwd=base, check=False)
    parallel = grader(ours, "autograde", "--jobs", "2", env=env, check=False)
    for copy in (stock, ours):
        grader(copy, "export", env=env)
    copies = {"stock": stock, "parallel": ours}
    return {"serial": serial.returncode, "parallel": parallel.returncode, "parallel_out": parallel.stdout,
            "dumps": {name: dump(copy / "grader" / "gradebook.db") for name, copy in copies.items()},
            "autograded": {name: sorted(p.parts[-3] for p in (copy / "grader" / "autograded").glob("*/*/*.ipynb"))
                           for name, copy in copies.items()}}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return shared(tmp_path_factory, "parallel-vs-stock", run_both)


def test_parallel_grades_equal_serial_stock_nbgrader_in_the_exported_csv(both):
    base, _ = both
    for name in ("grades.csv", "grades_wide.csv"):
        stock = read_csv(base / "stock" / "grader" / "export" / name)
        parallel = read_csv(base / "parallel" / "grader" / "export" / name)
        assert parallel == stock, name
    assert len(stock) == len(ANSWERS)


def test_every_row_of_every_submission_is_the_same(both):
    _, result = both
    assert result["dumps"]["parallel"] == result["dumps"]["stock"]
    assert result["autograded"]["parallel"] == result["autograded"]["stock"]


def test_the_grades_are_what_the_answers_deserve(both):
    base, _ = both
    rows = {r["student_id"]: r for r in read_csv(base / "parallel" / "grader" / "export" / "grades.csv")}
    for student in ("alice", "bob", "carol", "dave"):
        expected = deserved(LESSON, ANSWERS[student])
        assert {gid: float(rows[student][gid]) for gid in graded_cells(LESSON.source)} == expected, student
    # The hanging cell was stopped by nbgrader and scored 0; every other exercise was graded.
    hang = dict(ANSWERS["hang"], **{LAST: "none"})
    assert {gid: float(rows["hang"][gid]) for gid in graded_cells(LESSON.source)} == deserved(LESSON, hang)


def test_a_crash_keeps_what_was_earned_before_it_and_is_graded_in_both(both):
    base, result = both
    # A kernel that dies is not graded further (grader/verdict.py): the points before the crash
    # stay, the graded cells after it score 0 and say why. Here the first answer cell crashed.
    assert result["serial"] == 0 and result["parallel"] == 0
    rows = {r["student_id"]: r for r in read_csv(base / "parallel" / "grader" / "export" / "grades.csv")}
    assert {gid: float(rows["crash"][gid]) for gid in graded_cells(LESSON.source)} == deserved(LESSON, {})
    assert "graded" in row_of(result["parallel_out"], "crash")
    notebook = read(base / "parallel" / "grader" / "autograded" / "crash" / LESSON.assignment
                    / f"{LESSON.notebook}.ipynb")
    said = [o.evalue for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert said and all("kernel died" in text or "process ended" in text for text in said)
    assert sorted(result["autograded"]["parallel"]) == sorted(ANSWERS)
    graded = [line for line in result["parallel_out"].splitlines() if " graded " in line]
    assert len(graded) == len(ANSWERS)


# nbgrader's own Execute, without the sandbox: what the grading processes themselves must survive
# when the kernel is not contained (a submission can then reach its kernel's parent).
UNSANDBOXED = """c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
"""


def run_hostile(base) -> dict:
    course = make_course(base, [LESSON], config=UNSANDBOXED)
    env = jupyter_env(base / "jupyter")
    grader(course, "release", env=env)
    released = read(course / "notebooks" / LESSON.assignment / f"{LESSON.notebook}.ipynb")
    place(course, ["bob"], released)
    grader(course, "autograde", env=env)
    before = dump(course / "grader" / "gradebook.db")
    place(course, ["killer", "sleeper", "alice"], released)
    batch = grader(course, "autograde", "--jobs", "2", "--timeout", "40", env=env, check=False)
    grader(course, "export", env=env)
    return {"before": before, "after": dump(course / "grader" / "gradebook.db"), "code": batch.returncode,
            "out": batch.stdout}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return shared(tmp_path_factory, "parallel-hostile", run_hostile)


def row_of(out: str, student: str) -> str:
    return next(line for line in out.splitlines() if f"│ {student} " in line)


def test_a_submission_that_kills_its_grading_process_is_reported_and_recorded_nowhere(hostile):
    _, result = hostile
    assert result["code"] == 1
    assert "the grading process died" in row_of(result["out"], "killer")
    assert not any(key.startswith("killer/") for key in result["after"])


def test_a_submission_that_outlasts_the_timeout_is_stopped(hostile):
    _, result = hostile
    line = row_of(result["out"], "sleeper")
    assert "failed" in line and "grading stopped after 40 s" in line
    assert not any(key.startswith("sleeper/") for key in result["after"])


def test_the_others_are_graded_and_an_earlier_grade_is_untouched(hostile):
    base, result = hostile
    rows = {r["student_id"]: r for r in read_csv(base / "course" / "grader" / "export" / "grades.csv")}
    assert float(rows["alice"]["score"]) == sum(deserved(LESSON, ANSWERS["alice"]).values())
    assert "graded" in row_of(result["out"], "alice")
    assert "skipped" in row_of(result["out"], "bob")  # graded before, not collected again
    bob = [key for key in result["before"] if key.startswith("bob/")]
    assert bob and all(result["after"][key] == result["before"][key] for key in bob)


# ----------------------------------------------------------------------------- the per-worker gradebooks

@pytest.fixture
def gradebook(tmp_path, monkeypatch):
    """A gradebook with one assignment of two graded cells and two students' submissions, scored 0."""
    monkeypatch.setenv("PATH", prepare_environment({"PATH": os.environ["PATH"]})["PATH"])  # nbgrader calls alembic
    path = tmp_path / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        for cell in ("test_x_one", "test_x_two"):
            gb.add_grade_cell(cell, "nb", "a1", max_score=1, cell_type="code")
        gb.add_solution_cell("x", "nb", "a1")
        for student in ("s1", "s2"):
            gb.add_student(student)
            gb.add_submission("a1", student)
            for grade in gb.find_submission_notebook("nb", "a1", student).grades:
                grade.auto_score = 0.0
        gb.db.commit()
    return path


def test_a_submission_moves_from_a_copy_whole_and_replaces_the_old_one(gradebook, tmp_path):
    copy = tmp_path / "copy.db"
    gradebooks.snapshot(gradebook, copy)
    with Gradebook(f"sqlite:///{copy}") as gb:  # what a worker's autograde does: grade s1 again
        gb.update_or_create_student("s1", first_name="Sam")
        for grade in gb.find_submission_notebook("nb", "a1", "s1").grades:
            grade.auto_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    others = dump(gradebook)["s2/a1/nb"]
    rows = gradebooks.submission_rows(f"sqlite:///{copy}", "a1", "s1")
    assert [len(rows[t]) for t in gradebooks.SUBMISSION_TABLES] == [1, 1, 1, 2, 1]
    gradebooks.store(f"sqlite:///{gradebook}", "a1", "s1", rows)
    gradebooks.store(f"sqlite:///{gradebook}", "a1", "s1", rows)  # twice: still one submission
    assert dump(gradebook)["s1/a1/nb"] == dump(copy)["s1/a1/nb"]
    assert dump(gradebook)["s2/a1/nb"] == others
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        assert len(gb.find_assignment("a1").submissions) == 2
        assert gb.find_student("s1").first_name == "Sam"
        assert gb.find_submission("a1", "s1").score == 2.0


def test_rows_without_their_student_are_refused(gradebook):
    rows = gradebooks.submission_rows(f"sqlite:///{gradebook}", "a1", "nobody")
    assert all(rows[t] == [] for t in gradebooks.SUBMISSION_TABLES)
    with pytest.raises(ValueError, match="store: no student row for 'nobody' in the rows of 'a1'"):
        gradebooks.store(f"sqlite:///{gradebook}", "a1", "nobody", rows)


# ----------------------------------------------------------------------------- what a teacher is told

def test_a_failure_is_told_by_its_reason_not_by_nbgraders_generic_lines():
    from grader.runner import _problem

    log = ("[ERROR] No notebooks found, did you forget to run 'nbgrader generate_assignment'?\n"
           "[ERROR] There was an error processing assignment: /c/grader/submitted/s/a1\n"
           "    nbgrader.converters.base.NbGraderException: No notebooks found, did you forget to run 'x'?\n"
           "[ERROR] Please see the the above traceback for details on the specific errors on the above failures.\n")
    assert _problem(log, "NbGraderException: Please see the the above traceback for details").startswith(
        "No notebooks found")
    assert _problem("[ERROR] boom\n", "") == "boom"
    assert _problem("", "Traceback (most recent call last):\nnbformat.reader.NotJSONError: not JSON: ''") == \
        "NotJSONError: not JSON: ''"
