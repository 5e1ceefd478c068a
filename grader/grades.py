"""The gradebook read out as plain rows: one per student and assignment, with every graded cell's points.

What ``export`` writes and ``report`` summarises, read through nbgrader's ``Gradebook``.
A student with no submission of an assignment gets a row too, scored 0 with no cell
points: that is what the student gets, and what an LMS import needs.

A graded cell belongs to an **exercise**: the solution cell whose ``grade_id`` it names
(``test_<exercise>_<behaviour>``, as every lesson of the course is written); a written answer
graded by hand is its own exercise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry


@dataclass
class Cell:
    """One graded cell of an assignment: its column name, exercise and points."""

    name: str  # grade_id, or <notebook>:<grade_id> when the assignment has several notebooks
    exercise: str
    max_score: float


@dataclass
class Row:
    """One student's result on one assignment (``submitted`` False: nothing was submitted, score 0)."""

    student_id: str
    last_name: str
    first_name: str
    email: str
    assignment: str
    submitted: bool
    timestamp: str
    raw_score: float
    late_penalty: float
    score: float
    max_score: float
    needs_manual_grade: bool
    cells: dict[str, float | None] = field(default_factory=dict)  # Cell.name -> points (None: not graded)


def exercise_of(cell: str, solutions: list[str]) -> str:
    """The exercise of graded cell ``cell``: the longest solution id ``s`` with ``cell`` = ``test_<s>_...``."""
    if cell in solutions:  # a written answer, graded by hand
        return cell
    owners = [s for s in solutions if cell.startswith(f"test_{s}_")]
    return max(owners, key=len) if owners else cell


def cell_order(source: Path | None) -> dict[str, int]:
    """grade_id -> position in the source notebook ``source`` (empty if there is none: then by name)."""
    if source is None or not source.is_file():
        return {}
    nb = nbformat.read(source, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    return {gid: i for i, gid in enumerate(ids) if gid}


def cells(gradebook: Gradebook, assignment: str, source_dir: Path | None = None) -> list[Cell]:
    """The graded cells of ``assignment`` with their exercises, in the order of its notebooks in
    ``source_dir/<assignment>/`` (the course's solutions/), else by name."""
    notebooks = sorted(gradebook.find_assignment(assignment).notebooks, key=lambda n: n.name)
    found = []
    for notebook in notebooks:
        solutions = [c.name for c in notebook.solution_cells]
        order = cell_order(source_dir / assignment / f"{notebook.name}.ipynb" if source_dir else None)
        for cell in sorted(notebook.grade_cells, key=lambda c: (order.get(c.name, len(order)), c.name)):
            name = cell.name if len(notebooks) == 1 else f"{notebook.name}:{cell.name}"
            found.append(Cell(name, exercise_of(cell.name, solutions), cell.max_score))
    return found


def rows(gradebook: Gradebook, assignments: list[str] | None = None, students: list[str] | None = None) -> list[Row]:
    """Every student x every assignment (or those named), sorted by assignment and student."""
    names = sorted(a.name for a in gradebook.assignments)
    if assignments:
        names = [a for a in names if a in assignments]
    out = []
    for assignment in names:
        meta = gradebook.find_assignment(assignment)
        several = len(meta.notebooks) > 1
        for student in sorted(gradebook.students, key=lambda s: s.id):
            if students and student.id not in students:
                continue
            base = dict(student_id=student.id, last_name=student.last_name or "", first_name=student.first_name or "",
                        email=student.email or "", assignment=assignment, max_score=meta.max_score)
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                out.append(Row(**base, submitted=False, timestamp="", raw_score=0.0, late_penalty=0.0, score=0.0,
                               needs_manual_grade=False))
                continue
            penalty = submission.late_submission_penalty or 0.0
            points = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    points[f"{notebook.name}:{grade.name}" if several else grade.name] = grade.score
            out.append(Row(**base, submitted=True,
                           timestamp=submission.timestamp.isoformat(sep=" ") if submission.timestamp else "",
                           raw_score=submission.score, late_penalty=penalty,
                           score=max(0.0, submission.score - penalty),
                           needs_manual_grade=submission.needs_manual_grade, cells=points))
    return out
