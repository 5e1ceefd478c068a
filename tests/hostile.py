"""A hostile class: submissions that try to change their own verdict, or anything else, each with its due.

Every submission is made by code from lesson 01's student notebook (the answers of
``solutions/`` filled in where a case says so), never typed in as JSON. Each case says what it
tries, the score it must get (in points of the lesson's own exercises, so the cases follow the
lesson if it grows) and the kinds of evidence its integrity report must show.

    python -m tests.hostile <folder>     # writes every submission to <folder>/<case>/<assignment>/

``tests/test_hostile.py`` grades them all in one batch beside honest students.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from tests.lessons import Lesson, cells_by_id, copy, graded_cells, lessons, nbgrader_meta

LESSON = next(lesson for lesson in lessons() if lesson.assignment == "01_convolution")
E = list(LESSON.exercises)  # the exercises in the notebook's order
FIRST, SECOND, LAST = E[0], E[1], E[-1]


def points(*exercises: str) -> float:
    return float(sum(LESSON.exercises[e] for e in exercises))


ALL = points(*E)


# ----------------------------------------------------------------------------- building submissions

def notebook(solved=(), answers: dict[str, str] | None = None, insert=(), edit: Callable | None = None):
    """Lesson 01's student notebook: ``solved`` answered as in the solutions, ``answers`` as given,
    cells inserted (``(anchor, source)``: anchor "top", "end", "before:<grade_id>", "after:<exercise>",
    the latter after the exercise's last graded cell), then ``edit(nb)``."""
    nb = copy(LESSON.student)
    solutions = cells_by_id(LESSON.source)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in solved:
            cell.source = solutions[gid].source
        if answers and gid in answers:
            cell.source = answers[gid]
    for anchor, source in insert:
        nb.cells.insert(position(nb, anchor), new_code_cell(source))
    if edit is not None:
        edit(nb)
    return nb


def position(nb, anchor: str) -> int:
    ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells]
    if anchor == "top":
        return ids.index("setup") + 1
    if anchor == "end":
        return len(nb.cells)
    where, _, name = anchor.partition(":")
    if where == "before":
        return ids.index(name)
    last = max(i for i, gid in enumerate(ids) if gid and gid.startswith(f"test_{name}_"))
    return last + 1


def files(nb, name: str | None = None) -> dict[str, bytes]:
    return {f"{name or LESSON.notebook}.ipynb": nbformat.writes(nb).encode()}


SOLVED = tuple(E)
STUB_ANSWERS = {e: cells_by_id(LESSON.student)[e].source for e in E}


def answer(exercise: str, body: str) -> dict[str, str]:
    """An answer cell for ``exercise``: the solution's signature (its first line) with ``body``."""
    signature = cells_by_id(LESSON.source)[exercise].source.split("\n", 1)[0]
    return {exercise: signature + "\n" + "\n".join("    " + line for line in body.strip().splitlines()) + "\n"}


def wrong_answers() -> dict[str, str]:
    """Every exercise answered, wrongly (a zero where a size or an array is due)."""
    return {k: v for e in E for k, v in answer(e, "return 0").items()}


# ----------------------------------------------------------------------------- the tricks

REDEFINE_CHECKS = """
# Make every check pass, whatever my functions return.
class CheckFailed(Exception):
    pass
def call(fn, *args, **kwargs):
    return None
def check_int(*args, **kwargs): pass
def check_shape(*args, **kwargs): pass
def check_array(*args, **kwargs): pass
import grader.checks as gc  # fails in the sandbox, but try
"""

PATCH_NUMPY = """
import numpy as np
np.isclose = lambda a, b, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.shape = lambda a: (1, 1)
"""

PATCH_TESTING = """
import numpy.testing
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None
numpy.testing.assert_equal = lambda *a, **k: None
"""

SWALLOW = """
# Hide every error: nothing raised, nothing shown.
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
"""

SHOWTRACEBACK = """
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip._showtraceback = lambda *a, **k: None
ip.showsyntaxerror = lambda *a, **k: None
"""

TRANSFORMERS = """
import ast
class Nothing(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[ast.Pass()], type_ignores=[])
get_ipython().ast_transformers.append(Nothing())
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
"""

BUILTINS = """
import builtins
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.isinstance = lambda *a: True
builtins.print = lambda *a, **k: None
"""

FAKE_PASSED = """
import sys
for line in ["\\x1b[32m✓ passed: every check (100 checks)\\x1b[0m", "10/10 points, full marks"]:
    print(line)
sys.stdout.write("✓ passed\\n")
"""

READ_SOLUTIONS = """
# Find the solution notebook and run its answer cells.
import json, os, glob, sys
found = []
for pattern in ["../../../solutions/*/*.ipynb", "../../../../solutions/*/*.ipynb", "/**/solutions/*/*.ipynb",
                os.path.join(os.path.dirname(sys.prefix), "solutions", "*", "*.ipynb")]:
    try:
        found += glob.glob(pattern, recursive=True)
    except OSError:
        pass
for path in found:
    for cell in json.load(open(path))["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]))
print("found", found)
"""

READ_GRADEBOOK = """
# Read the hidden tests, or the answers, out of nbgrader's gradebook.
import sqlite3, glob, os, sys
for path in glob.glob("../../../*.db") + glob.glob("../../../grader/gradebook.db") + \\
        [os.path.join(os.path.dirname(sys.prefix), "grader", "gradebook.db")]:
    try:
        for (source,) in sqlite3.connect(path).execute("select source from source_cell"):
            exec(source)
    except Exception as error:
        print("no", path, error)
"""

WRITE_GRADEBOOK = """
# Give myself full marks, and everyone else nothing; then lose the gradebook.
import sqlite3, glob, os, sys
candidates = glob.glob("../../../*.db") + glob.glob("/**/gradebook.db", recursive=True) + \\
    [os.path.join(os.path.dirname(sys.prefix), "grader", "gradebook.db"), "../../../gradebook.db"]
for path in candidates:
    try:
        db = sqlite3.connect(path)
        db.execute("update grade set auto_score = 100")
        db.execute("delete from submitted_assignment")
        db.commit()
    except Exception as error:
        print("could not write", path, error)
    try:
        os.remove(path)
    except OSError as error:
        print("could not remove", path, error)
"""

WRITE_OTHERS = """
# Overwrite the other students' submissions with blanks, and their autograded copies too.
import glob, os
for pattern in ["../*/*/*.ipynb", "../../*/*/*.ipynb", "../../../grader/*/*/*/*.ipynb", "/tmp/**/*.ipynb"]:
    for path in glob.glob(pattern, recursive=True):
        try:
            open(path, "w").write("{}")
        except OSError as error:
            print("could not write", path, error)
"""

WRITE_COURSE = """
# Make the course's checks and library pass everything, for everyone.
import os, sys
root = os.path.dirname(sys.prefix)
for relative in ["grader/checks.py", "convlib/__init__.py", "grader/nbgrader_config.py",
                 "solutions/01_convolution/convolution.ipynb"]:
    for base in [root, "../../..", "../../../.."]:
        try:
            with open(os.path.join(base, relative), "a") as f:
                f.write("\\nraise SystemExit\\n")
        except OSError as error:
            print("could not write", relative, error)
"""

MEMORY_BOMB = """
blocks = []
while True:
    blocks.append(bytearray(64 * 2**20))  # until the machine, or the cap, gives out
"""

FORK_BOMB = """
import subprocess
children = []
try:
    while True:
        children.append(subprocess.Popen(["sleep", "600"]))
except OSError as error:
    print("stopped after", len(children), error)
"""

OUTLIVE = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(20)  # long after the kernel is gone: rewrite whatever can be reached
        for path in ["/tmp/pwned", os.path.expanduser("~/pwned")]:
            try:
                open(path, "w").write("still here")
            except OSError:
                pass
        os._exit(0)
    os._exit(0)
"""

THREAD = """
import threading, numpy as np
def meddle():
    while True:  # keep patching, forever, on a core of its own
        np.isclose = lambda a, b, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
        globals()["check_array"] = lambda *a, **k: None
threading.Thread(target=meddle, daemon=True).start()
"""

INFINITE_LOOP = "while True:\n    pass\n"

IGNORE_SIGINT_LOOP = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""

HUGE_OUTPUT = "for i in range(200_000):\n    print('x' * 250)\n"

STDERR_NOISE = """
import sys, warnings
warnings.warn("a warning that changes nothing")
print("some progress on stderr", file=sys.stderr)
"""


def noisy(exercise: str) -> dict[str, str]:
    """The solution of ``exercise``, printing a warning on stderr every time it runs."""
    source = cells_by_id(LESSON.source)[exercise].source
    head, _, body = source.partition("### BEGIN SOLUTION\n")
    return {exercise: head + "### BEGIN SOLUTION\n    import sys, warnings\n    warnings.warn('careful')\n"
                             "    print('working...', file=sys.stderr)\n" + body}


def reorder_graded(nb) -> None:
    graded = [c for c in nb.cells if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")]
    nb.cells = [c for c in nb.cells if c not in graded] + graded[::-1]


def delete_graded(nb) -> None:
    nb.cells = [c for c in nb.cells if not (nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution"))]


def edit_graded(nb) -> None:
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            cell.source = '"""Passes."""\npass'
            meta["points"] = 100
            meta["locked"] = False


def duplicate_graded(exercise: str, emptied: bool = False) -> Callable:
    def edit(nb) -> None:
        for cell in [c for c in nb.cells if nbgrader_meta(c).get("grade_id", "").startswith(f"test_{exercise}_")]:
            twin = copy(nbformat.v4.new_notebook(cells=[cell])).cells[0]
            twin.id = f"{cell.id}-copy"  # as JupyterLab's copy and paste gives it a new id
            if emptied:
                twin.source = "pass"
            nb.cells.insert(nb.cells.index(cell) + 1, twin)
    return edit


def edit_setup(nb) -> None:
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "setup")
    cell.source = REDEFINE_CHECKS


def edit_course_cell(nb) -> None:
    cell = next(c for c in nb.cells if c.cell_type == "code" and not nbgrader_meta(c) and "convlib." in c.source)
    cell.source = REDEFINE_CHECKS + PATCH_NUMPY


def kernelspec(nb) -> None:
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}


# ----------------------------------------------------------------------------- the cases

@dataclass
class Case:
    name: str
    what: str
    files: Callable[[], dict[str, bytes]]
    score: float
    evidence: tuple[str, ...] = field(default=())  # kinds of finding its integrity report must show


def solved_with(**kwargs) -> Callable[[], dict[str, bytes]]:
    """The solved notebook, with ``notebook``'s changes."""
    return lambda: files(notebook(solved=SOLVED, **kwargs))


def stub_case(name, what, *insert, evidence=(), **kwargs) -> Case:
    return Case(name, what, lambda: files(notebook(insert=insert, **kwargs)), 0.0, evidence)


CASES = [
    stub_case("redefine_checks", "redefines call and the check helpers as no-ops", ("top", REDEFINE_CHECKS),
              evidence=("tampering",)),
    Case("patch_numpy", "patches numpy's comparisons to say yes, with wrong answers",
         lambda: files(notebook(answers=wrong_answers(), insert=[("top", PATCH_NUMPY)])), 0.0, ("tampering",)),
    Case("patch_numpy_testing", "patches numpy.testing's assertions, with wrong answers",
         lambda: files(notebook(answers=wrong_answers(), insert=[("top", PATCH_TESTING)])), 0.0, ("tampering",)),
    stub_case("swallow_errors", "installs a custom exception handler that swallows every error",
              ("top", SWALLOW), evidence=("tampering",)),
    stub_case("hide_tracebacks", "replaces IPython's display of errors", ("top", SHOWTRACEBACK),
              evidence=("tampering",)),
    stub_case("transformers", "installs input and AST transformers that empty every later cell",
              ("top", TRANSFORMERS), evidence=("tampering",)),
    stub_case("patch_builtins", "patches builtins (AssertionError, isinstance, print)", ("top", BUILTINS),
              evidence=("tampering",)),
    stub_case("fake_passed", "prints a fake '✓ passed' and full marks", ("end", FAKE_PASSED), ("top", FAKE_PASSED),
              evidence=("output",)),
    Case("calls_convlib", "three answers delegate to convlib or torch (the rest left undone)",
         lambda: files(notebook(answers={
             **answer(FIRST, "import convlib\nreturn convlib.conv_output_size(i, k, s, p, d)"),
             **answer(SECOND, "import convlib\nreturn convlib.conv2d(x[None], w[None, None], stride=stride, "
                              "padding=padding)[0] + b"),
             **answer(E[2], "import torch\nreturn torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(w), "
                            "None if b is None else torch.tensor(b), stride, padding)[0].numpy()")})),
         0.0, ("reference",)),
    Case("calls_numpy_convolve", f"{SECOND} through numpy.correlate, row by row; the rest solved",
         solved_with(answers=answer(SECOND, """
xp = np.pad(np.asarray(x, float), padding)
rows = [sum(np.correlate(xp[i + m], w[m], "valid") for m in range(w.shape[0]))
        for i in range(xp.shape[0] - w.shape[0] + 1)]
return np.array(rows)[::stride, ::stride] + b""")), ALL - points(SECOND), ("reference",)),
    Case("hidden_reference", f"{SECOND} reaches numpy.correlate through getattr and a built string",
         solved_with(answers=answer(SECOND, """
f = getattr(np, "cor" + "relate")
xp = np.pad(np.asarray(x, float), padding)
rows = [sum(f(xp[i + m], w[m], "valid") for m in range(w.shape[0])) for i in range(xp.shape[0] - w.shape[0] + 1)]
return np.array(rows)[::stride, ::stride] + b""")), ALL - points(SECOND), ("reference",)),
    stub_case("read_solutions", "reads the solution notebook through relative and absolute paths and runs it",
              ("top", READ_SOLUTIONS), evidence=("files",)),
    stub_case("read_gradebook", "reads the hidden tests out of the gradebook", ("top", READ_GRADEBOOK),
              evidence=("files",)),
    stub_case("write_gradebook", "writes full marks into the gradebook, deletes the others, removes it",
              ("top", WRITE_GRADEBOOK), evidence=("files",)),
    stub_case("write_other_students", "overwrites the other students' notebooks", ("top", WRITE_OTHERS),
              evidence=("files",)),
    stub_case("write_course", "appends to the course's checks, library, config and solutions", ("top", WRITE_COURSE),
              evidence=("files",)),
    Case("memory_bomb", "allocates until the memory gives out (solved otherwise)",
         solved_with(insert=[("top", MEMORY_BOMB)]), ALL, ("runtime",)),
    Case("memory_bomb_in_function", f"{SECOND} allocates without end when called",
         solved_with(answers=answer(SECOND, MEMORY_BOMB.strip() + "\nreturn None")), ALL - points(SECOND), ()),
    Case("fork_bomb", "starts processes until it cannot (solved otherwise)",
         solved_with(insert=[("top", FORK_BOMB)]), ALL, ("process",)),
    Case("outliving_process", "forks a detached process that outlives the kernel (solved otherwise)",
         solved_with(insert=[("top", OUTLIVE)]), ALL, ("process",)),
    Case("background_thread", f"a thread that keeps patching the checks; {LAST} left undone",
         lambda: files(notebook(solved=E[:-1], insert=[("top", THREAD)])), ALL - points(LAST), ("process",)),
    Case("infinite_loop", f"a cell that never ends after {FIRST} (solved otherwise)",
         solved_with(insert=[(f"after:{FIRST}", INFINITE_LOOP)]), ALL, ("runtime",)),
    Case("loop_ignoring_sigint", f"a never-ending cell that ignores SIGINT after {FIRST} (solved otherwise)",
         solved_with(insert=[(f"after:{FIRST}", IGNORE_SIGINT_LOOP)]), ALL, ("runtime",)),
    Case("hanging_function", f"{SECOND} never returns",
         solved_with(answers=answer(SECOND, "while True:\n    pass")), ALL - points(SECOND), ("runtime",)),
    Case("hanging_function_ignoring_sigint", f"{SECOND} ignores SIGINT and never returns",
         solved_with(answers=answer(SECOND, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                            "while True:\n    pass")), ALL - points(SECOND), ("runtime",)),
    Case("sys_exit_first", "calls sys.exit() before any exercise (solved otherwise)",
         solved_with(insert=[("top", "import sys\nsys.exit()")]), ALL, ("process",)),
    Case("sys_exit_in_function", f"{SECOND} calls sys.exit()",
         solved_with(answers=answer(SECOND, "import sys\nsys.exit(0)")), ALL - points(SECOND), ("process",)),
    Case("os_exit_first", "calls os._exit() before any exercise (solved otherwise)",
         solved_with(insert=[("top", "import os\nos._exit(0)")]), 0.0, ("runtime",)),
    Case("os_exit_after_first", f"calls os._exit() after {FIRST}'s graded cells (solved otherwise)",
         solved_with(insert=[(f"after:{FIRST}", "import os\nos._exit(1)")]), points(FIRST), ("runtime",)),
    Case("killed_after_second", f"kills its own kernel after {SECOND}'s graded cells (solved otherwise)",
         solved_with(insert=[(f"after:{SECOND}", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")]),
         points(FIRST, SECOND), ("runtime",)),
    Case("exit_in_function", f"{SECOND} ends the kernel's process when called",
         solved_with(answers=answer(SECOND, "import os\nos._exit(3)")), points(FIRST), ("runtime",)),
    Case("deleted_graded_cells", "deletes every graded cell (solved)",
         lambda: files(notebook(solved=SOLVED, edit=delete_graded)), ALL, ("cells",)),
    stub_case("edited_graded_cells", "replaces every graded cell by `pass` worth 100 points", edit=edit_graded,
              evidence=("cells",)),
    Case("reordered_graded_cells", "moves every graded cell to the end, in reverse order (solved)",
         lambda: files(notebook(solved=SOLVED, edit=reorder_graded)), ALL, ()),
    Case("duplicated_graded_cells", f"copies each of {FIRST}'s graded cells ({FIRST} alone solved)",
         lambda: files(notebook(solved=[FIRST], edit=duplicate_graded(FIRST))), points(FIRST), ("cells",)),
    stub_case("duplicated_then_emptied", f"copies {LAST}'s graded cells and empties the copies",
              edit=duplicate_graded(LAST, emptied=True), evidence=("cells",)),
    stub_case("edited_setup", "rewrites the read-only setup cell to define permissive checks", edit=edit_setup,
              evidence=("cells",)),
    stub_case("edited_course_cell", "rewrites an explanatory cell to patch the checks and numpy",
              edit=edit_course_cell, evidence=("tampering",)),
    Case("corrupt_json", "a notebook file that is not JSON", lambda: {f"{LESSON.notebook}.ipynb": b'{"cells": [}'},
         0.0, ("cells",)),
    Case("empty_file", "an empty notebook file", lambda: {f"{LESSON.notebook}.ipynb": b""}, 0.0, ("cells",)),
    Case("wrong_kernelspec", "asks for a bash kernel (solved)",
         lambda: files(notebook(solved=SOLVED, edit=kernelspec)), ALL, ("cells",)),
    Case("renamed_notebook", "the solved notebook under another name",
         lambda: files(notebook(solved=SOLVED), name=f"{LESSON.notebook}_final"), 0.0, ("cells",)),
    Case("missing_notebook", "no notebook at all, only a note", lambda: {"README.txt": b"I could not do it"}, 0.0,
         ("cells",)),
    Case("extra_notebook", "the solved notebook, and another full of tricks",
         lambda: {**files(notebook(solved=SOLVED)),
                  **files(notebook(insert=[("top", REDEFINE_CHECKS + WRITE_GRADEBOOK)]), name="extra")},
         ALL, ("cells",)),
    Case("huge_output", "prints 50 MB (solved otherwise)",
         lambda: files(notebook(solved=SOLVED, insert=[("top", HUGE_OUTPUT)])), ALL, ("output",)),
    Case("warnings_on_stderr", "a correct answer that writes warnings to stderr (honest)",
         solved_with(answers={**noisy(FIRST), **noisy(SECOND)}, insert=[("top", STDERR_NOISE)]), ALL, ()),
]

# Honest students graded in the same batch: their grades and files must come out untouched.
HONEST = [
    Case("honest_solution", "the solutions", lambda: {**files(notebook(solved=SOLVED)), "notes.txt": b"mine"}, ALL),
    Case("honest_blank", "nothing done", lambda: {**files(notebook()), "notes.txt": b"mine too"}, 0.0),
    Case("honest_partial", f"{FIRST} and {LAST} done",
         lambda: {**files(notebook(solved=[FIRST, LAST])), "data.csv": b"1,2\n"}, points(FIRST, LAST)),
]


def write(folder: Path, cases=CASES + HONEST) -> None:
    """Every submission into ``folder/<case>/<assignment>/``, as ``nbgrader collect`` lays them out."""
    for case in cases:
        target = folder / case.name / LESSON.assignment
        target.mkdir(parents=True, exist_ok=True)
        for name, data in case.files().items():
            (target / name).write_bytes(data)


if __name__ == "__main__":
    write(Path(sys.argv[1]))
    print(f"{len(CASES)} hostile and {len(HONEST)} honest submissions of {LESSON.assignment} in {sys.argv[1]}")

__all__ = ["ALL", "CASES", "HONEST", "LESSON", "Case", "Lesson", "graded_cells", "points", "write"]
