"""What the grading-workflow tests share: a temporary course, students' notebooks built from a lesson, commands.

Everything happens in a temporary folder: a copy of the course (``solutions/`` of the
lessons used), its own gradebook and exchange, and Jupyter folders of its own (no
``~/.jupyter``, no user kernels). Commands run as a teacher or a student types them, in
subprocesses: ``python -m grader ... --course-dir <copy>`` and stock ``nbgrader ...``.

A student's notebook is the released notebook with answers put in, exercise by exercise:

- ``right``: the solution cell of the source notebook;
- ``none``: the stub's ``raise NotImplementedError()`` replaced by ``return None``, a function
  that runs and returns nothing (every check of a graded cell fails on None);
- ``broken``: ``return (`` in its place, a SyntaxError: the function is never defined;
- anything else: the released stub, untouched (``blank``).

What such a notebook deserves is then known without the grader: the points of the graded
cells of the exercises answered ``right`` (read off the source notebook's metadata).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat

from grader.course import prepare_environment
from tests.lessons import Lesson, cells_by_id, lessons, nbgrader_meta

ROOT = Path(__file__).resolve().parent.parent
STUB = "raise NotImplementedError()"


def first_lesson() -> Lesson:
    """The lesson the workflow tests grade: the first assignment in solutions/ (its notebook is read, not named)."""
    return lessons()[0]


def jupyter_env(base: Path, **extra: str) -> dict[str, str]:
    """The course's environment with Jupyter's and IPython's folders under ``base``."""
    env = prepare_environment(dict(os.environ))
    env.update(JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), IPYTHONDIR=str(base / "ipython"), **extra)
    env.pop("JUPYTER_PATH", None)
    return env


def make_course(where: Path, lessons_used: list[Lesson], config: str = "") -> Path:
    """A copy of the course with the sources of ``lessons_used``; ``config`` goes into its nbgrader_config.py
    (nbgrader reads one at the top of the course after grader/nbgrader_config.py)."""
    course = where / "course"
    for lesson in lessons_used:
        shutil.copytree(ROOT / "solutions" / lesson.assignment, course / "solutions" / lesson.assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (course / "grader").mkdir()  # where the gradebook goes, as in the course itself
    if config:
        (course / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + config)
    return course


@contextlib.contextmanager
def locked(path: Path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared(tmp_path_factory, key: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    """``build(folder)`` once per test session, shared by pytest-xdist's workers: (folder, what build returned).

    A whole workflow takes a minute; its tests each check one part of what it left behind.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session
    folder, result = base / key, base / f"{key}.json"
    with locked(base / f"{key}.lock"):
        if not result.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            result.write_text(json.dumps(build(folder)))
    return folder, json.loads(result.read_text())


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 600,
        check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def grader(course: Path, *args: str, env: dict[str, str], check: bool = True,
           timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m grader <args> --course-dir <course>``, run from the folder above the course."""
    return run([sys.executable, "-m", "grader", *args, "--course-dir", str(course)], env, course.parent,
               timeout, check)


def nbgrader(*args: str, env: dict[str, str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Stock ``nbgrader <args>``."""
    return run([sys.executable, "-m", "nbgrader", *args], env, cwd, check=check)


def teacher_flags(course: Path) -> list[str]:
    """What points stock nbgrader at the course copy, as ``python -m grader`` does."""
    return [f"--CourseDirectory.root={course}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'grader' / 'gradebook.db'}",
            f"--Exchange.root={course / 'grader' / 'exchange'}"]


# ----------------------------------------------------------------------------- students' notebooks

def answered(lesson: Lesson, released, answers: dict[str, str], marker: str = ""):
    """``released`` (a student notebook) with each exercise answered as ``answers`` says (right, none, broken;
    missing: blank), and ``marker`` as a comment in the first scratch cell (a student's own tries)."""
    nb = nbformat.reads(nbformat.writes(released), as_version=4)  # a copy, sources as strings
    solutions = cells_by_id(lesson.source)
    placed = False
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        how = answers.get(gid)
        if how == "right":
            cell.source = solutions[gid].source
        elif how in ("none", "broken"):
            assert STUB in cell.source, f"{gid}: the released stub has no {STUB}"
            cell.source = cell.source.replace(STUB, "return None" if how == "none" else "return (")
        elif how is not None:
            raise ValueError(f"answered: {gid}: {how!r} is not right, none or broken")
        if marker and not placed and cell.cell_type == "code" and not nbgrader_meta(cell) and \
                cell.source.lstrip().startswith("# Scratch"):
            cell.source += f"\n# {marker}"
            placed = True
    assert placed or not marker, "no scratch cell to write the marker in"
    return nb


def deserved(lesson: Lesson, answers: dict[str, str]) -> dict[str, float]:
    """graded cell -> the points it deserves: all of them for an exercise answered right, else 0."""
    out = {}
    for exercise in lesson.exercises:
        for gid, cell in lesson.graded_cells_of(exercise).items():
            out[gid] = float(nbgrader_meta(cell)["points"]) if answers.get(exercise) == "right" else 0.0
    return out


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def hidden_lines(lesson: Lesson) -> set[str]:
    """Lines of the hidden tests whose text appears nowhere else in the source notebook, not even inside a
    longer line: text only the hidden tests contain."""
    hidden_text, visible = set(), []
    for cell in lesson.source.cells:
        hidden = False
        for line in cell.source.splitlines():
            text = line.strip()
            if text in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                hidden = text.startswith("### BEGIN")
                continue
            (hidden_text.add(text) if hidden else visible.append(text))
    everywhere_else = "\n".join(visible)
    found = {line for line in hidden_text
             if len(line) > 12 and not line.startswith("#") and line not in everywhere_else}
    assert len(found) >= 5, "the hidden tests were found"
    return found


def page_text(path: Path) -> str:
    """The text of an HTML page as a reader sees it: styles and scripts dropped, tags dropped (syntax
    highlighting splits code into many tags), entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", path.read_text(), flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))
