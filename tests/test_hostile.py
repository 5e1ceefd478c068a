"""A hostile class graded in one batch beside honest students: every submission gets its due, nothing else moves.

The submissions are ``tests/hostile.py``'s, built from lesson 01's student notebook. They are
graded by the teacher's ``python -m grader autograde --jobs 2`` (stock nbgrader autograde per
submission, with the course's configuration: the trusted verdict, the sandbox) in a temporary
course directory, once per test session, shared by pytest-xdist's workers. Then: every case's
score is the one it must get, its integrity report (``python -m grader integrity --json``)
shows what it tried, the honest students' grades and files are untouched, the gradebook and
the course's files are intact, and nothing the submissions started is still running.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader import release
from grader.sandbox import UIDS, processes_of, unavailable_reason
from tests import hostile
from tests.grading import locked

ROOT = Path(__file__).resolve().parent.parent
REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None and not os.environ.get("CI"),
                                reason=f"grading needs its sandbox, which cannot run here: {REASON}")
ASSIGNMENT, NOTEBOOK = hostile.LESSON.assignment, hostile.LESSON.notebook
BY_NAME = {case.name: case for case in hostile.CASES + hostile.HONEST}


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def course_files() -> dict[str, str]:
    return {name: digest(ROOT / name) for name in ("solutions", "notebooks", "grader", "convlib")}


def grade_batch(course: Path) -> dict:
    jupyter = course / "jupyter"
    env = release.nbgrader_env(JUPYTER_CONFIG_DIR=str(jupyter / "config"), JUPYTER_DATA_DIR=str(jupyter / "data"),
                               JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"), IPYTHONDIR=str(jupyter / "ipython"))
    env.pop("JUPYTER_PATH", None)
    db = f"sqlite:///{course / 'gradebook.db'}"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    release.generate(ASSIGNMENT, course_dir=course, db_url=db, cwd=course, env=env)
    submitted = course / "grader" / "submitted"
    hostile.write(submitted)
    before = {"honest": {c.name: digest(submitted / c.name) for c in hostile.HONEST}, "course": course_files(),
              "course_dir": {name: digest(course / name) for name in ("solutions", "notebooks")}}
    # The teacher's command, two submissions at a time (grader/runner.py runs stock nbgrader
    # autograde per submission); it exits 1 when some submission could not be graded.
    where = [f"--course-dir={course}", f"--db={db}"]
    command = [sys.executable, "-m", "grader", "autograde", ASSIGNMENT, "--jobs", "2", *where]
    result = subprocess.run(command, cwd=course.parent, env=env, capture_output=True, text=True, timeout=1800)
    assert result.returncode in (0, 1), (result.stdout + result.stderr)[-5000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]  # the tool itself never breaks down
    scores = {}
    with Gradebook(db) as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            scores[sub.student.id] = sub.score
    # Run from beside the course: inside it, its grader/ folder would shadow the package.
    report = subprocess.run([sys.executable, "-m", "grader", "integrity", ASSIGNMENT, "--json", *where],
                            cwd=course.parent, env=env, capture_output=True, text=True, timeout=300, check=True)
    reports = json.loads(report.stdout)
    after = {"honest": {c.name: digest(submitted / c.name) for c in hostile.HONEST}, "course": course_files(),
             "course_dir": {name: digest(course / name) for name in ("solutions", "notebooks")}}
    left = {uid: processes_of(uid) for uid in UIDS if processes_of(uid)}
    return {"scores": scores, "reports": {r["student"]: r for r in reports}, "before": before, "after": after,
            "left_running": {str(k): v for k, v in left.items()},
            "summary": result.stdout, "db": str(course / "gradebook.db")}


@pytest.fixture(scope="session")
def batch(tmp_path_factory) -> dict:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    course, result = base / "hostile", base / "hostile.json"
    with locked(base / "hostile.lock"):
        if not result.exists():
            shutil.rmtree(course, ignore_errors=True)
            course.mkdir()
            result.write_text(json.dumps(grade_batch(course)))
    return json.loads(result.read_text())


def test_the_corpus_is_large_and_named():
    assert len(hostile.CASES) >= 30
    assert len(BY_NAME) == len(hostile.CASES) + len(hostile.HONEST)


@pytest.mark.parametrize("case", hostile.CASES + hostile.HONEST, ids=lambda c: c.name)
def test_every_submission_gets_its_due(batch, case):
    # A folder with no notebook in it is not a submission to nbgrader: no row, which every export reads as 0.
    got = batch["scores"].get(case.name, 0.0 if case.name == "missing_notebook" else None)
    said = next((line for line in batch["summary"].splitlines() if f" {case.name} " in line), "(not in the summary)")
    assert got == case.score, f"{case.name} ({case.what}): expected {case.score}, got {got}; autograde said: {said}"


@pytest.mark.parametrize("case", [c for c in hostile.CASES if c.evidence], ids=lambda c: c.name)
def test_the_integrity_report_shows_what_it_tried(batch, case):
    findings = batch["reports"].get(case.name, {}).get("findings", [])
    kinds = {f["kind"] for f in findings}
    assert set(case.evidence) <= kinds, f"{case.name}: expected {case.evidence} among {findings}"


def test_honest_students_have_nothing_to_report(batch):
    for case in hostile.HONEST:
        assert batch["reports"][case.name]["findings"] == [], case.name


def test_no_other_students_files_changed(batch):
    assert batch["before"]["honest"] == batch["after"]["honest"]
    assert all(batch["after"]["honest"].values())


def test_the_course_is_untouched(batch):
    assert batch["before"]["course"] == batch["after"]["course"]
    assert batch["before"]["course_dir"] == batch["after"]["course_dir"]


def test_the_gradebook_is_intact(batch):
    db = sqlite3.connect(batch["db"])
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    submissions = {row[0] for row in db.execute("select student_id from submitted_assignment")}
    assert {c.name for c in hostile.HONEST} | {c.name for c in hostile.CASES if c.name != "missing_notebook"} \
        <= submissions | {"missing_notebook"}
    graded = len(hostile.graded_cells(hostile.LESSON.source))
    per_student = dict(db.execute("select submitted_assignment.student_id, count(grade.id) from grade join "
                                  "submitted_notebook on grade.notebook_id = submitted_notebook.id join "
                                  "submitted_assignment on submitted_notebook.assignment_id = "
                                  "submitted_assignment.id group by submitted_assignment.student_id"))
    assert all(n == graded for n in per_student.values()), per_student


def test_nothing_they_started_is_still_running(batch):
    assert batch["left_running"] == {}
    assert not Path("/tmp/pwned").exists()


def test_a_hanging_function_costs_one_timeout(batch):
    for name in ("hanging_function", "hanging_function_ignoring_sigint"):
        hung = [f for f in batch["reports"][name]["findings"] if "hung; stopped after" in f["what"]]
        assert len(hung) == 1, (name, batch["reports"][name]["findings"])


def test_the_messages_say_why(batch):
    cells = {name: batch["reports"][name]["cells"] for name in ("calls_convlib", "hanging_function",
                                                               "exit_in_function", "os_exit_after_first")}
    assert any("the reference this exercise asks you to write yourself" in m for m in cells["calls_convlib"].values())
    assert any("did not return within" in m for m in cells["hanging_function"].values())
    assert any("the Python process ended while running" in m for m in cells["exit_in_function"].values())
    assert any(m.startswith("not graded: the kernel died") for m in cells["os_exit_after_first"].values())
