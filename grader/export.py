"""Two nbgrader export plugins: the points of every graded cell, and a students x assignments sheet.

nbgrader's own ``CsvExportPlugin`` writes one total per student and assignment (and
does not quote a name with a comma in it). These two add what a teacher needs besides,
and run with nbgrader's own command too::

    nbgrader export --exporter=grader.export.CellsExportPlugin --to=grades.csv
    nbgrader export --exporter=grader.export.WideExportPlugin --to=grades_wide.csv

- :class:`CellsExportPlugin`: one row per student and assignment: the student, the
  assignment, whether and when it was submitted, the score (late penalty applied), the
  maximum, and one column per graded cell with its points (empty where the cell is not
  in that row's assignment, or the assignment was not submitted);
- :class:`WideExportPlugin`: one row per student, one column per assignment with its
  score, and the total: for a spreadsheet, or an LMS's grade import.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin

from grader import grades

BASE = ["student_id", "last_name", "first_name", "email", "assignment", "submitted", "timestamp", "raw_score",
        "late_penalty", "score", "max_score", "needs_manual_grade"]
STUDENT = ["student_id", "last_name", "first_name", "email"]


def number(value) -> str:
    """A score in a CSV cell: 7, 7.5; empty for none."""
    return "" if value is None else f"{float(value):g}"


def write_cells(gradebook, path: Path, assignments: list[str] | None = None, students: list[str] | None = None,
                source_dir: Path | None = None) -> int:
    """Write the per-cell CSV to ``path``, cells in the order of the notebooks in ``source_dir``; return the
    number of rows."""
    rows = grades.rows(gradebook, assignments, students)
    columns = [c.name for a in dict.fromkeys(r.assignment for r in rows)
               for c in grades.cells(gradebook, a, source_dir)]
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(BASE + columns)
        for r in rows:
            out.writerow([r.student_id, r.last_name, r.first_name, r.email, r.assignment,
                          "yes" if r.submitted else "no", r.timestamp, number(r.raw_score), number(r.late_penalty),
                          number(r.score), number(r.max_score), "yes" if r.needs_manual_grade else "no",
                          *(number(r.cells.get(c)) if r.submitted else "" for c in columns)])
    return len(rows)


def write_wide(gradebook, path: Path, assignments: list[str] | None = None, students: list[str] | None = None) -> int:
    """Write the students x assignments CSV to ``path``; return the number of students."""
    rows = grades.rows(gradebook, assignments, students)
    names = list(dict.fromkeys(r.assignment for r in rows))
    students: dict[str, dict] = {}
    for r in rows:
        entry = students.setdefault(r.student_id, {"who": [r.student_id, r.last_name, r.first_name, r.email]})
        entry[r.assignment] = r.score
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(STUDENT + names + ["total"])
        for entry in students.values():
            scores = [entry[a] for a in names]
            out.writerow(entry["who"] + [number(s) for s in scores] + [number(sum(scores))])
    return len(students)


class CellsExportPlugin(ExportPlugin):
    """One row per student and assignment, with every graded cell's points (default file: grades.csv)."""

    def export(self, gradebook) -> None:
        coursedir = getattr(self.parent, "coursedir", None)
        source = Path(coursedir.root) / coursedir.source_directory if coursedir else None
        write_cells(gradebook, Path(self.to or "grades.csv"), list(self.assignment) or None, list(self.student) or None,
                    source)


class WideExportPlugin(ExportPlugin):
    """One row per student, one column per assignment, and the total (default file: grades_wide.csv)."""

    def export(self, gradebook) -> None:
        write_wide(gradebook, Path(self.to or "grades_wide.csv"), list(self.assignment) or None,
                   list(self.student) or None)
