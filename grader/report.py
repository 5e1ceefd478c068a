"""What the class got right and wrong: per exercise and per assignment, as numbers and as pictures.

:func:`exercise_stats` and :func:`total_stats` summarise the rows of :mod:`grader.grades`
over the students who submitted (a missing submission says nothing about an exercise);
:func:`plot_totals` draws a histogram of the total scores of each assignment and
:func:`plot_exercises` a bar chart of each exercise's average score as a share of its
points, so that the exercise the class failed stands out whatever its points.

Figures use matplotlib's object API (``Figure``), as ``convlib.drawing`` does: no backend,
no window.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from grader.grades import Cell, Row


@dataclass
class Stats:
    """Scores of one exercise (or one assignment's totals) over the ``n`` submissions that count."""

    assignment: str
    name: str
    max_score: float
    n: int
    mean: float
    median: float
    full: float  # share of submissions with every point
    zero: float  # share with none
    ungraded: int = 0  # submissions where part of it still waits for a hand grade


def _stats(assignment: str, name: str, max_score: float, scores: list[float], ungraded: int = 0) -> Stats:
    n = len(scores)
    if n == 0:
        return Stats(assignment, name, max_score, 0, math.nan, math.nan, math.nan, math.nan, ungraded)
    return Stats(assignment, name, max_score, n, statistics.fmean(scores), statistics.median(scores),
                 sum(math.isclose(s, max_score) for s in scores) / n, sum(s == 0 for s in scores) / n, ungraded)


def exercise_stats(rows: list[Row], cells: dict[str, list[Cell]]) -> list[Stats]:
    """One Stats per exercise of each assignment (``cells``: assignment -> its graded cells), in notebook order.

    An exercise's score is the sum of its graded cells' points; a cell still waiting for a hand
    grade leaves that submission out of its exercise, counted in ``ungraded``.
    """
    out = []
    for assignment, assignment_cells in cells.items():
        submitted = [r for r in rows if r.assignment == assignment and r.submitted]
        exercises = list(dict.fromkeys(c.exercise for c in assignment_cells))
        for exercise in exercises:
            mine = [c for c in assignment_cells if c.exercise == exercise]
            scores, ungraded = [], 0
            for r in submitted:
                points = [r.cells.get(c.name) for c in mine]
                if any(p is None for p in points):
                    ungraded += 1
                else:
                    scores.append(sum(points))
            out.append(_stats(assignment, exercise, sum(c.max_score for c in mine), scores, ungraded))
    return out


def total_stats(rows: list[Row]) -> list[Stats]:
    """One Stats per assignment: its total scores (late penalties applied) over the submissions."""
    out = []
    for assignment in dict.fromkeys(r.assignment for r in rows):
        mine = [r for r in rows if r.assignment == assignment]
        submitted = [r for r in mine if r.submitted]
        stats = _stats(assignment, "total", mine[0].max_score, [r.score for r in submitted],
                       sum(r.needs_manual_grade for r in submitted))
        out.append(stats)
    return out


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def plot_totals(rows: list[Row], path: Path) -> Path:
    """A histogram of total scores per assignment (one panel each, bins one point wide), saved as PNG."""
    names = list(dict.fromkeys(r.assignment for r in rows))
    columns = min(3, max(1, len(names)))
    lines = math.ceil(len(names) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.2 * lines), layout="constrained")
    for i, name in enumerate(names):
        axes = figure.add_subplot(lines, columns, i + 1)
        mine = [r for r in rows if r.assignment == name]
        scores = [r.score for r in mine if r.submitted]
        top = mine[0].max_score
        edges = [b - 0.5 for b in range(0, math.ceil(top) + 2)]
        axes.hist(scores, bins=edges, color="#4c72b0", edgecolor="white")
        axes.set_xlim(-0.5, top + 0.5)
        axes.set_title(f"{name}: {len(scores)} of {len(mine)} submitted", fontsize=10)
        axes.set_xlabel(f"total score (of {top:g})")
        axes.set_ylabel("students")
        axes.yaxis.get_major_locator().set_params(integer=True)
    figure.suptitle("Total scores per assignment")
    return _save(figure, path)


def plot_exercises(stats: list[Stats], path: Path) -> Path:
    """A horizontal bar per exercise: its mean score as a share of its points (0-100 %), saved as PNG."""
    shown = [s for s in stats if s.n]
    figure = Figure(figsize=(8, 1.2 + 0.38 * max(1, len(shown))), layout="constrained")
    axes = figure.add_subplot()
    assignments = list(dict.fromkeys(s.assignment for s in shown))
    palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"]
    labels = [f"{s.assignment}: {s.name} ({s.max_score:g} pt)" for s in shown]
    shares = [100 * s.mean / s.max_score if s.max_score else 0 for s in shown]
    colours = [palette[assignments.index(s.assignment) % len(palette)] for s in shown]
    positions = list(range(len(shown)))[::-1]  # the first exercise on top
    axes.barh(positions, shares, color=colours)
    for y, share, s in zip(positions, shares, shown, strict=True):
        axes.text(min(share, 100) + 1, y, f"{share:.0f} %  (full {100 * s.full:.0f} %, zero {100 * s.zero:.0f} %)",
                  va="center", fontsize=8)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.set_xlim(0, 135)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_xlabel("average score, % of the exercise's points")
    axes.set_title("Average score per exercise")
    return _save(figure, path)
