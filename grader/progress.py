"""What the grading commands print: one console, progress bars with the time left (nbgrader #1456), tables."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

# Not a terminal (a file, a pipe, a test): wide enough that no table is cut.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


class Bar:
    """One running progress bar: :meth:`advance` it; :meth:`print` writes a line above it."""

    def __init__(self, progress: Progress, task):
        self._progress, self._task = progress, task

    def advance(self, steps: int = 1) -> None:
        self._progress.update(self._task, advance=steps)

    def print(self, *objects) -> None:
        self._progress.console.print(*objects)


@contextlib.contextmanager
def bar(description: str, total: int) -> Iterator[Bar]:
    """A progress bar of ``total`` steps, with the time elapsed and the time left."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=console, refresh_per_second=4) as progress:
        yield Bar(progress, progress.add_task(description, total=total))


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence], right: Sequence[str] = ()) -> Table:
    """A rich table; the columns named in ``right`` are right-aligned (numbers)."""
    out = Table(title=title, title_justify="left", title_style="bold")
    for name in columns:
        out.add_column(name, justify="right" if name in right else "left")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


def points(value: float | None) -> str:
    """A score as the gradebook holds it: 7, 7.5, or a dash for none."""
    if value is None:
        return "-"
    return f"{value:g}"
