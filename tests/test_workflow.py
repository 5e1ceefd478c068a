"""The teacher's whole workflow through an nbgrader exchange, with a class of students, end to end.

In a temporary course with its own exchange: the teacher imports the class list (stock
``nbgrader db student import``) and releases the first lesson to the exchange
(``python -m grader release --exchange``); each student fetches it (``nbgrader
fetch_assignment``), answers it and submits it (``nbgrader submit``); the teacher collects,
autogrades with two jobs, generates and releases feedback, and exports; each student fetches
their feedback (``nbgrader fetch_feedback``). One OS user plays every student: nbgrader 0.9
takes the student's name from the process's user id, so each student's commands name them
with ``--student``, and each has their own Jupyter folders (nbgrader's submission cache).

The class: alice answers everything right; bob the first exercise, the others return None;
carol breaks the first (a SyntaxError) and answers the rest; dave submits the notebook
blank; erin fetches it and never submits. (Students missing from the class list are added
by collect: tests/test_lms.py.)
Then every grade is checked against what the answers deserve (``tests/grading.py``), and
each student's feedback against its owner, hidden tests and tracebacks.
"""

from __future__ import annotations

import re

import pytest

from tests.grading import (
    answered,
    deserved,
    first_lesson,
    grader,
    hidden_lines,
    jupyter_env,
    make_course,
    nbgrader,
    page_text,
    read_csv,
    shared,
    teacher_flags,
    write,
)
from tests.lessons import graded_cells, read

LESSON = first_lesson()
EXERCISES = list(LESSON.exercises)
FIRST, REST = EXERCISES[0], EXERCISES[1:]
CLASS = {  # student -> exercise -> how it is answered (tests/grading.py); missing: blank
    "alice": {e: "right" for e in EXERCISES},
    "bob": {FIRST: "right", **{e: "none" for e in REST}},
    "carol": {FIRST: "broken", **{e: "right" for e in REST}},
    "dave": {},
}
ROSTER = {"alice": ("Alice", "Archer"), "bob": ("Bob", "Baker"), "carol": ("Carol", "Cooper"),
          "dave": ("Dave", "Dyer"), "erin": ("Erin", "Evans")}
NEVER_SUBMITS = "erin"


def marker(student: str) -> str:
    return f"tried by {student} in the scratch cell"


def student_env(base, student: str) -> dict[str, str]:
    """A student's own environment: their name, their own Jupyter folders, not the teacher's configuration."""
    env = jupyter_env(base / "jupyter" / student, USER=student, LOGNAME=student)
    env.pop("JUPYTER_CONFIG_PATH")
    return env


def as_student(base, student: str, *args: str):
    """``nbgrader <args>`` in the student's home, with their environment, course and the exchange."""
    home = base / "homes" / student
    home.mkdir(parents=True, exist_ok=True)
    exchange = base / "course" / "grader" / "exchange"
    return nbgrader(*args, "--course=convolutions", f"--Exchange.root={exchange}", env=student_env(base, student),
                    cwd=home)


def run_workflow(base) -> dict:
    course = make_course(base, [LESSON])
    env = jupyter_env(base / "jupyter" / "teacher")
    outputs = {}
    roster = base / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(
        f"{sid},{first},{last},{sid}@example.org\n" for sid, (first, last) in ROSTER.items()))
    nbgrader("db", "student", "import", str(roster), *teacher_flags(course), env=env, cwd=base)
    outputs["release"] = grader(course, "release", "--exchange", env=env).stdout
    notebook = f"{LESSON.notebook}.ipynb"
    for student in [*CLASS, NEVER_SUBMITS]:
        as_student(base, student, "fetch_assignment", LESSON.assignment)
        path = base / "homes" / student / LESSON.assignment / notebook
        fetched = read(path)
        nb = answered(LESSON, fetched, CLASS.get(student, {}), marker(student))
        write(nb, path)
    for student in CLASS:
        as_student(base, student, "submit", LESSON.assignment, f"--student={student}")
    outputs["collect"] = grader(course, "collect", LESSON.assignment, env=env).stdout
    outputs["autograde"] = grader(course, "autograde", "--jobs", "2", env=env).stdout
    outputs["feedback"] = grader(course, "feedback", "--exchange", env=env).stdout
    for student in [*CLASS, NEVER_SUBMITS]:
        as_student(base, student, "fetch_feedback", LESSON.assignment, f"--student={student}")
    outputs["export"] = grader(course, "export", env=env).stdout
    return outputs


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    return shared(tmp_path_factory, "workflow-exchange", run_workflow)


def fetched_pages(base, student: str) -> list:
    return sorted((base / "homes" / student / LESSON.assignment / "feedback").rglob("*.html"))


def test_every_grade_is_what_the_answers_deserve(workflow):
    base, _ = workflow
    rows = {r["student_id"]: r for r in read_csv(base / "course" / "grader" / "export" / "grades.csv")}
    assert set(rows) == {*CLASS, NEVER_SUBMITS}
    cells = list(graded_cells(LESSON.source))
    for student, answers in CLASS.items():
        row, expected = rows[student], deserved(LESSON, answers)
        assert row["submitted"] == "yes", student
        assert {gid: float(row[gid]) for gid in cells} == expected, student
        assert float(row["score"]) == sum(expected.values()), student
        assert float(row["max_score"]) == LESSON.auto_points + sum(LESSON.written.values())
    missing = rows[NEVER_SUBMITS]
    assert (missing["submitted"], float(missing["score"])) == ("no", 0.0)
    assert all(missing[gid] == "" for gid in cells)
    assert all((rows[s]["first_name"], rows[s]["last_name"]) == names for s, names in ROSTER.items())


def test_the_wide_sheet_has_one_row_per_student(workflow):
    base, _ = workflow
    wide = read_csv(base / "course" / "grader" / "export" / "grades_wide.csv")
    scores = {r["student_id"]: float(r[LESSON.assignment]) for r in wide}
    assert scores == {**{s: sum(deserved(LESSON, a).values()) for s, a in CLASS.items()}, NEVER_SUBMITS: 0.0}
    assert all(float(r["total"]) == float(r[LESSON.assignment]) for r in wide)  # one assignment here


def test_collect_brings_in_each_submission(workflow):
    base, outputs = workflow
    collected = outputs["collect"]
    assert f"collected for {LESSON.assignment}: {len(CLASS)} student(s)" in collected
    assert all(s in collected for s in CLASS) and NEVER_SUBMITS not in collected
    assert sorted(p.name for p in (base / "course" / "grader" / "submitted").iterdir()) == sorted(CLASS)


def test_each_student_fetches_their_own_feedback(workflow):
    base, _ = workflow
    points = LESSON.auto_points + sum(LESSON.written.values())
    for student, answers in CLASS.items():
        pages = fetched_pages(base, student)
        assert len(pages) == 1, (student, pages)
        text = page_text(pages[0])
        assert marker(student) in text
        assert [s for s in CLASS if s != student and marker(s) in text] == []
        score = sum(deserved(LESSON, answers).values())
        assert re.search(rf"Score: {score:.1f} / {points:.1f}", text), student
    assert fetched_pages(base, NEVER_SUBMITS) == []


def all_pages(base) -> list:
    pages = sorted((base / "course" / "grader" / "feedback").rglob("*.html"))
    pages += [p for s in CLASS for p in fetched_pages(base, s)]
    assert len(pages) == 2 * len(CLASS)
    return pages


def test_feedback_never_shows_a_hidden_test(workflow):
    base, _ = workflow
    secrets = hidden_lines(LESSON)
    for page in all_pages(base):
        text = page_text(page)
        assert sorted(line for line in secrets if line in text) == [], page
    # The search can find code: each graded cell's visible checks are on alice's page.
    text = page_text(fetched_pages(base, "alice")[0])
    for gid, cell in graded_cells(LESSON.source).items():
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0].strip().splitlines()
        assert visible[-1].strip() in text, gid


def test_feedback_says_passed_or_failed_with_the_checks_message_and_no_traceback(workflow):
    base, _ = workflow
    for page in all_pages(base):
        text = page_text(page)
        assert "most recent call last" not in text and "Traceback" not in text, page
        assert "Your results" in text
    bob = page_text(fetched_pages(base, "bob")[0])
    results = bob[bob.index("Your results"):]
    for exercise in REST:  # returns None: every graded cell of these exercises failed, saying so
        assert results.count(f"{exercise}") >= 1
    assert "got None" in results and "failed" in results and "passed" in results
    carol = page_text(fetched_pages(base, "carol")[0])
    assert "SyntaxError" in carol  # her broken answer cell: its error, in one line


def test_the_commands_say_what_they_did(workflow):
    _, outputs = workflow
    assert LESSON.assignment in outputs["release"] and "exchange" in outputs["release"]
    graded = [line for line in outputs["autograde"].splitlines() if "graded" in line]
    assert len(graded) == len(CLASS)
    assert f"{len(CLASS)} released to" in outputs["feedback"]
    assert "grades.csv" in outputs["export"] and "grades_wide.csv" in outputs["export"]
