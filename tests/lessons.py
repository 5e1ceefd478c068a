"""What the lesson tests share: the assignments, their cells, and submissions built from them.

A lesson is ``solutions/<assignment>/<notebook>.ipynb`` (nbgrader's source) and its
generated student copy ``notebooks/<assignment>/<notebook>.ipynb``. Its exercises are
read off the notebook itself, so a new lesson needs no test code of its own beyond its
corpus of mistakes (``tests/mistakes/<assignment>.py``):

- an **exercise** is a solution cell (``solution: true``) with a ``grade_id``: the name of
  the function (or variable) it defines; a **written answer**, marked by hand, is a solution
  cell that is also graded (``grade: true``), or a task cell (``task: true``: nbgrader's
  "manually graded task", the only kind of cell that may hold a mark scheme);
- its **graded cells** are the code cells ``test_<exercise>_<behaviour>`` (``grade: true``,
  locked), one point or more each;
- its **points** are the sum of its graded cells', and its heading says so:
  ``### Exercise n (p points): `name` ``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nbformat

from grader import release

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS",
           "### BEGIN MARK SCHEME", "### END MARK SCHEME")


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def read(path: Path):
    return nbformat.read(path, as_version=4)


def copy(nb):
    """A deep copy of a notebook (sources as strings, as nbformat.read gives them)."""
    return nbformat.reads(nbformat.writes(nb), as_version=4)


def cells_by_id(nb) -> dict[str, nbformat.NotebookNode]:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if "grade_id" in nbgrader_meta(c)}


def graded_cells(nb) -> dict[str, nbformat.NotebookNode]:
    """The autograded code cells, by grade_id."""
    return {gid: c for gid, c in cells_by_id(nb).items()
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


@dataclass
class Lesson:
    """One assignment: its source and student notebooks and the exercises read off them."""

    assignment: str
    notebook: str
    source_path: Path = field(init=False)
    student_path: Path = field(init=False)

    def __post_init__(self):
        self.source_path = ROOT / "solutions" / self.assignment / f"{self.notebook}.ipynb"
        self.student_path = ROOT / "notebooks" / self.assignment / f"{self.notebook}.ipynb"

    def __str__(self) -> str:
        return self.assignment

    @cached_property
    def source(self):
        return read(self.source_path)

    @cached_property
    def student(self):
        return read(self.student_path)

    @cached_property
    def exercises(self) -> dict[str, int]:
        """Autograded exercises: solution grade_id -> the points of its graded cells."""
        graded = graded_cells(self.source)
        found = {}
        for gid, cell in cells_by_id(self.source).items():
            meta = nbgrader_meta(cell)
            if meta.get("solution") and not meta.get("grade") and cell.cell_type == "code":
                found[gid] = sum(nbgrader_meta(c)["points"] for t, c in graded.items() if t.startswith(f"test_{gid}_"))
        return found

    @cached_property
    def written(self) -> dict[str, int]:
        """Answers graded by hand, answer cells and task cells: grade_id -> points."""
        return {gid: nbgrader_meta(c)["points"] for gid, c in cells_by_id(self.source).items()
                if (nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade")) or nbgrader_meta(c).get("task")}

    @cached_property
    def tasks(self) -> dict[str, int]:
        """The written answers that are task cells (nbgrader leaves them to a human even when nothing was written)."""
        return {gid: nbgrader_meta(c)["points"] for gid, c in cells_by_id(self.source).items()
                if nbgrader_meta(c).get("task")}

    @property
    def auto_points(self) -> int:
        return sum(nbgrader_meta(c)["points"] for c in graded_cells(self.source).values())

    def graded_cells_of(self, exercise: str) -> dict[str, nbformat.NotebookNode]:
        return {gid: c for gid, c in graded_cells(self.source).items() if gid.startswith(f"test_{exercise}_")}

    @cached_property
    def mistakes(self):
        """``tests/mistakes/<assignment>.py``: OTHER_RIGHT and MISTAKES (see tests/mistakes/README.md)."""
        path = ROOT / "tests" / "mistakes" / f"{self.assignment}.py"
        spec = importlib.util.spec_from_file_location(f"mistakes_{self.assignment}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def solved(self, exercises=(), tamper: bool = False):
        """The student notebook with the solutions of ``exercises`` filled in; ``tamper``: graded cells edited
        (points raised, unlocked, replaced by ``pass``) and the last one deleted."""
        nb = copy(self.student)
        answers = cells_by_id(self.source)
        last = list(graded_cells(self.source))[-1]
        cells = []
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if meta.get("grade_id") in exercises:
                cell.source = answers[meta["grade_id"]].source
            if tamper and meta.get("grade") and not meta.get("solution"):
                if meta["grade_id"] == last:
                    continue
                cell.source = '"""Passes."""\npass'
                meta["points"] = 5
                meta["locked"] = False
            cells.append(cell)
        nb.cells = cells
        return nb

    def with_answer(self, exercise: str, source: str):
        """The student notebook with ``source`` as the answer to ``exercise`` (the others left blank)."""
        nb = copy(self.student)
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == exercise:
                cell.source = source
        return nb


def lessons() -> list[Lesson]:
    """Every assignment in solutions/, each with its one notebook."""
    found = []
    for name in release.assignments():
        paths = release.notebooks(ROOT / "solutions" / name)
        assert len(paths) == 1, f"{name}: one notebook per assignment, found {paths}"
        found.append(Lesson(name, paths[0].stem))
    return found
