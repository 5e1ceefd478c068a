"""The README and the teacher's walk-through say what the course is: every claim a reader can act on is checked.

- every pinned package of requirements.txt is named in the README's table of dependencies;
- the table of assignments has one row per assignment of ``solutions/``, in order, with each
  autograded exercise and its points, and the assignment's total (written answers included),
  all read off the notebooks;
- every ``make <target>`` the README names is a target of the Makefile, and every
  ``python -m grader <command>`` in the README and docs/grading.md is a command of the tool.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.cli import command_modules
from tests.lessons import lessons

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
GRADING = (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]  # after the header


def test_every_pinned_package_is_explained():
    pinned = [line.split("==")[0].strip().lower() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.lstrip().startswith("#")]
    explained = " ".join(row[0].lower() for row in table_rows(section(README, "Dependencies")))
    missing = [name for name in pinned if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", explained)]
    assert not missing, f"pinned in requirements.txt but not explained in the README: {missing}"


def test_the_assignments_table_is_the_notebooks():
    rows = table_rows(section(README, "The course"))
    assert [row[0].strip("`") for row in rows] == [lesson.assignment for lesson in lessons()]
    for row, lesson in zip(rows, lessons(), strict=True):
        exercises = dict(re.findall(r"`(\w+)` \((\d+)\)", row[2]))
        assert {name: int(points) for name, points in exercises.items()} == lesson.exercises, lesson
        total = lesson.auto_points + sum(lesson.written.values())
        assert row[3] == str(total), f"{lesson}: the README says {row[3]} points, the notebook gives {total}"
        written = sum(int(p) for p in re.findall(r"\((\d+)\)", row[2].split("by hand", 1)[1])) \
            if "by hand" in row[2] else 0
        assert written == sum(lesson.written.values()), lesson


def test_every_make_target_named_exists():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", README))
    assert named and named <= targets, f"the README names make targets that do not exist: {sorted(named - targets)}"


def test_every_grader_command_named_exists():
    commands = set(command_modules())
    for name, text in (("README.md", README), ("docs/grading.md", GRADING)):
        named = set(re.findall(r"python -m grader ([a-z][\w-]*)", text))
        assert named and named <= commands, f"{name} names commands that do not exist: {sorted(named - commands)}"
