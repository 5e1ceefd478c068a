"""Per-worker copies of the gradebook, and one writer that moves each graded submission into the real one.

Parallel autograding never lets two processes write one SQLite file. Each worker grades
with stock nbgrader against its own copy of the gradebook (:func:`snapshot`, taken when the
worker starts). After each submission the worker reads that submission's rows back out of
its copy (:func:`submission_rows`) and sends them to the main process, the only one that
writes the course's gradebook; :func:`store` replaces the submission's rows there in one
transaction. The rows are nbgrader's own, every column copied as nbgrader wrote it, so the
gradebook ends up as serial ``nbgrader autograde`` leaves it (ids aside, which nbgrader draws
at random anyway).

Grading one submission writes only these rows: the student, their submitted assignment, its
submitted notebooks, and the grades and comments of those notebooks. Nothing a worker does
for one student can reach another's rows, and a worker that dies before sending leaves the
course's gradebook as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

# nbgrader's tables that hold one submission, parents before the rows that point at them.
SUBMISSION_TABLES = ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")


def snapshot(db_path: Path, copy_path: Path) -> None:
    """Copy the SQLite gradebook ``db_path`` to ``copy_path`` consistently (SQLite's online backup)."""
    source = sqlite3.connect(db_path)
    target = sqlite3.connect(copy_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _tables() -> dict[str, sa.Table]:
    from nbgrader import api  # imported when needed: nbgrader takes seconds to import

    return {name: api.Base.metadata.tables[name] for name in (*SUBMISSION_TABLES, "assignment")}


def submission_rows(db_url: str, assignment: str, student: str) -> dict[str, list[dict]]:
    """Every row of one student's submission of ``assignment``, by table (empty lists: no submission)."""
    t = _tables()
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as db:
            rows = {name: [] for name in SUBMISSION_TABLES}
            rows["student"] = [dict(r._mapping) for r in db.execute(
                sa.select(t["student"]).where(t["student"].c.id == student))]
            assignment_ids = sa.select(t["assignment"].c.id).where(
                t["assignment"].c.name == assignment).scalar_subquery()
            submitted = t["submitted_assignment"]
            rows["submitted_assignment"] = [dict(r._mapping) for r in db.execute(
                sa.select(submitted).where(submitted.c.student_id == student,
                                           submitted.c.assignment_id == assignment_ids))]
            submission_ids = [r["id"] for r in rows["submitted_assignment"]]
            notebooks = t["submitted_notebook"]
            rows["submitted_notebook"] = [dict(r._mapping) for r in db.execute(
                sa.select(notebooks).where(notebooks.c.assignment_id.in_(submission_ids)))]
            notebook_ids = [r["id"] for r in rows["submitted_notebook"]]
            for name in ("grade", "comment"):
                rows[name] = [dict(r._mapping) for r in db.execute(
                    sa.select(t[name]).where(t[name].c.notebook_id.in_(notebook_ids)))]
    finally:
        engine.dispose()
    return rows


def store(db_url: str, assignment: str, student: str, rows: dict[str, list[dict]]) -> None:
    """Replace the course gradebook's rows of this submission by ``rows``, in one transaction.

    The student's row is updated in place (other assignments' submissions point at it); the
    submission, its notebooks, grades and comments are deleted and inserted anew.
    """
    if not rows["student"]:
        raise ValueError(f"store: no student row for {student!r} in the rows of {assignment!r}")
    t = _tables()
    old = submission_rows(db_url, assignment, student)
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as db:  # one transaction: all of it or none of it
            for name in ("comment", "grade", "submitted_notebook", "submitted_assignment"):
                ids = [r["id"] for r in old[name]]
                if ids:
                    db.execute(sa.delete(t[name]).where(t[name].c.id.in_(ids)))
            if old["student"]:
                db.execute(sa.update(t["student"]).where(t["student"].c.id == student).values(**rows["student"][0]))
            else:
                db.execute(sa.insert(t["student"]), rows["student"])
            for name in ("submitted_assignment", "submitted_notebook", "grade", "comment"):
                if rows[name]:
                    db.execute(sa.insert(t[name]), rows[name])
    finally:
        engine.dispose()
