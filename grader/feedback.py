"""nbgrader preprocessors for the feedback a student reads: results and messages, no hidden tests, no tracebacks.

``nbgrader generate_feedback`` renders the autograded notebook, in which autograde has put
back the hidden tests and recorded every error's whole traceback; its default feedback shows
both (nbgrader #917, #1363). ``grader/nbgrader_config.py`` runs, after :class:`GetGrades`
(nbgrader's, noting too which written answers the teacher has not marked yet):

- nbgrader's own ``ClearHiddenTests``: the hidden region of each graded cell is removed from
  its source (a student sees the visible checks only);
- :class:`ShortErrors`: an error shows its message alone. A failed check already renders as
  its message (``grader.checks.CheckFailed``); any other error is cut to
  ``NameError: name 'conv2d_single' is not defined``, because a traceback quotes the code
  around each frame, hidden tests included;
- :class:`ResultsTable`: a table at the top, one row per graded cell: what it checks (its
  docstring's first line), passed or failed, its points, and the check's own message (with
  its hint); and one row per written answer: marked or not yet, its points, the teacher's
  comment.
"""

from __future__ import annotations

import html
import re

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import GetGrades as NbGraderGetGrades
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    """``text`` without terminal colours."""
    return ANSI.sub("", text)


def is_graded(cell) -> bool:
    """An autograded code cell (nbgrader: grade, not a solution)."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_by_hand(cell) -> bool:
    """A written answer with points: a task cell, or an answer cell that is graded (nbgrader leaves both to a human)."""
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("task") or (meta.get("grade") and meta.get("solution")))


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def message(error) -> str:
    """What an error says to the student: a check's own message, or ``Type: value``."""
    if error.ename == "CheckFailed":
        return plain("\n".join(error.traceback)).lstrip("✗ ").strip()
    return f"{error.ename}: {error.evalue}".strip()


class ShortErrors(NbGraderPreprocessor):
    """Every error output shows its message alone: no traceback, no source quoted from the cells."""

    max_chars = Integer(2000, help="the longest message kept; longer ones are cut").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for error in errors(cell):
            text = message(error)
            if len(text) > self.max_chars:
                text = text[:self.max_chars] + " ... (cut)"
            error.traceback = [f"\x1b[31m{line}\x1b[0m" for line in text.splitlines()] or [error.ename]
        return cell, resources


class GetGrades(NbGraderGetGrades):
    """nbgrader's GetGrades, which also notes whether a cell still waits for the teacher's mark.

    nbgrader gives a written answer nobody has marked a score of 0, the same as one marked 0;
    the gradebook's ``needs_manual_grade`` tells them apart.
    """

    def _get_score(self, cell, resources):
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        cell.metadata.nbgrader["needs_manual_grade"] = bool(grade.needs_manual_grade)


class ResultsTable(NbGraderPreprocessor):
    """A table of every graded cell (what it checks, passed or failed, points, message) above the notebook."""

    def preprocess(self, nb, resources):
        rows = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            unmarked = meta.get("needs_manual_grade", False)  # set by GetGrades above
            points = f"{'-' if unmarked else _points(meta.get('score'))} / {_points(meta.get('points'))}"
            if is_graded(cell):
                found = errors(cell)
                what = _docstring(cell.source) or meta["grade_id"]
                result = ('<b style="color:#c62828">✗ failed</b>' if found
                          else '<span style="color:#2e7d32">✓ passed</span>')
                said = message(found[0]) if found else ""
            elif is_by_hand(cell):  # a written answer: the teacher's points and comment, once marked
                what = f"written answer {meta['grade_id']}"
                result = "not marked yet" if unmarked else "marked by hand"
                said = meta.get("comment") or ""
            else:
                continue
            rows.append(f"<tr><td>{html.escape(what)}</td><td>{result}</td><td>{points}</td>"
                        f"<td>{_message(said)}</td></tr>")
        if rows:
            head = "".join(f"<th>{h}</th>" for h in ("graded cell", "result", "points", "message"))
            table = [STYLE, "## Your results", "", f'<table class="results"><tr>{head}</tr>', *rows, "</table>", "",
                     "Each graded cell below shows its visible checks and, if it failed, its message."]
            nb.cells.insert(0, new_markdown_cell("\n".join(table)))
        return nb, resources


STYLE = ("<style>table.results td, table.results th {padding: 0.3em 0.8em; vertical-align: top; "
         "border-bottom: 1px solid #ddd} table.results th {text-align: left} "
         "table.results td:nth-child(2), table.results td:nth-child(3) {white-space: nowrap}</style>")


def _docstring(source: str) -> str:
    match = re.match(r'\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\'|\n)', source, re.S)
    return match.group(1).strip() if match else ""


def _message(text: str) -> str:
    """A check's message as HTML: its lines kept, `code` in backticks shown as code."""
    escaped = html.escape(text)
    return "<br>".join(re.sub(r"`([^`]+)`", r"<code>\1</code>", line) for line in escaped.splitlines())


def _points(value) -> str:
    return "-" if value is None else f"{float(value):g}"
