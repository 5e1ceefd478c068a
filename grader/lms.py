"""Submissions downloaded from a learning management system: who sent which notebook, read off the file names.

``collect --from <zip or folder>`` runs nbgrader's ``zip_collect``: the download is copied
to ``grader/downloaded/<assignment>/archive/``, unpacked to ``.../extracted/``, and each file
name is read by a collector plugin (:class:`grader.collector.Collector`) that says whose
submission it is and which notebook, by :func:`decide`. A pattern is nbgrader's
``named_regexp`` (a regular expression with ``(?P<student_id>...)`` and ``(?P<file_id>...)``
groups, optionally ``first_name``, ``last_name``, ``email``, ``timestamp``); what this adds to
nbgrader's own ``FileNameCollectorPlugin``:

- the expression is matched against the end of the file's path inside the download, so a
  folder per student works as well as a flat list (and the folder named after the zip that
  ``zip_collect`` unpacks into is never in the way);
- without a ``student_id`` group the id is made from ``first_name`` and ``last_name``
  (Moodle names files by the student's full name, and its number changes per assignment);
- a renamed copy of a notebook (``convolution-1.ipynb`` from Canvas, ``convolution (1).ipynb``
  from a browser) is taken as that notebook, and one student's second copy is skipped;
- every file not collected is recorded with the reason (no pattern match, not a notebook, not
  a notebook of this assignment, a second copy), so ``collect`` reports it: nbgrader only logs
  a warning, or copies a wrongly named notebook into the submission anyway.

The patterns of :data:`PATTERNS` are the layouts tested in ``tests/test_lms.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

PATTERNS = {
    # <student>/<notebook>.ipynb: one folder per student, named by their id
    "folders": r"(?P<student_id>[^/]+)/(?P<file_id>[^/]+)",
    # Moodle's "Download all submissions": "Ivan Petrov_1234567_assignsubmission_file_/convolution.ipynb"
    # (with "Download submissions in folders"; without it the folder's "/" is missing)
    "moodle": r"(?P<first_name>[^/_]+) (?P<last_name>[^/_ ]+)_(?P<participant>\d+)_assignsubmission_file_/?"
              r"(?P<file_id>[^/]+)",
    # Canvas's "Download Submissions": "petrovivan_12345_678901_convolution.ipynb", late ones with "_late"
    # after the name, a resubmitted file renamed "convolution-1.ipynb"
    "canvas": r"(?P<student_id>[a-z0-9]+?)(?i:_late)?_(?P<user_id>\d+)_(?P<attachment_id>\d+)_(?P<file_id>[^/]+)",
}

RENAMED = re.compile(r"(?:-\d+| \(\d+\))(?=\.ipynb$)")  # convolution-1.ipynb, convolution (2).ipynb


@dataclass
class File:
    """One file of the download and what became of it: collected as ``notebook`` of ``student``, or why not."""

    path: str  # inside the download
    student: str = ""
    notebook: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    timestamp: str = ""
    problem: str = ""  # empty: collected


def student_id(first_name: str, last_name: str) -> str:
    """``Ivan``, ``Petrov`` -> ``ivan_petrov``: lower case, words joined by underscores (letters of any alphabet)."""
    words = re.findall(r"\w+", f"{first_name} {last_name}".lower())
    return "_".join(words)


def read(path: str, pattern: str, notebooks: list[str], elsewhere: dict[str, str]) -> File:
    """What the file at ``path`` (inside the download) is, by ``pattern``.

    ``notebooks`` are this assignment's notebook file names; ``elsewhere`` maps the notebook
    file names of the other assignments to their assignment, to say so when a file is one.
    """
    match = re.search(rf"(?:^|/)(?:{pattern})$", path)
    if match is None:
        return File(path, problem="its name does not match the pattern, so whose it is is unknown")
    found = {k: v or "" for k, v in match.groupdict().items()}
    if "file_id" not in found:
        raise ValueError(f"collect: --pattern {pattern!r} has no (?P<file_id>...) group (the notebook's name)")
    student = found.get("student_id") or student_id(found.get("first_name", ""), found.get("last_name", ""))
    if not student:
        raise ValueError(f"collect: --pattern {pattern!r} needs a (?P<student_id>...) group, or first_name and "
                         f"last_name groups")
    file = File(path, student, "", found.get("first_name", ""), found.get("last_name", ""), found.get("email", ""),
                found.get("timestamp", ""))
    name = os.path.basename(found["file_id"])
    if not name.endswith(".ipynb"):
        file.problem = "not a notebook"
    elif name in notebooks:
        file.notebook = name
    elif RENAMED.sub("", name) in notebooks:
        file.notebook = RENAMED.sub("", name)
    elif name in elsewhere or RENAMED.sub("", name) in elsewhere:
        other = elsewhere.get(name) or elsewhere[RENAMED.sub("", name)]
        file.problem = f"a notebook of {other}, not of this assignment"
    else:
        file.problem = f"no notebook of this assignment is called {name} (its notebooks: {', '.join(notebooks)})"
    return file


def decide(paths: list[str], pattern: str, notebooks: list[str], elsewhere: dict[str, str]) -> list[File]:
    """:func:`read` every file; of several files for one student's notebook keep one (the exact name first, then
    the highest number) and mark the others."""
    files = [read(p, pattern, notebooks, elsewhere) for p in sorted(paths)]
    by_notebook: dict[tuple[str, str], list[File]] = {}
    for f in files:
        if not f.problem:
            by_notebook.setdefault((f.student, f.notebook), []).append(f)
    for copies in by_notebook.values():
        copies.sort(key=lambda f: (os.path.basename(f.path).endswith(f.notebook), _number(f.path)), reverse=True)
        for f in copies[1:]:
            f.problem = f"a second copy of {f.notebook} from {f.student}; collected {copies[0].path}"
    return files


def _number(path: str) -> int:
    found = re.findall(r"(\d+)\)?\.ipynb$", path)
    return int(found[-1]) if found else 0
