"""The trusted verdict: a submission's graded cells judged where the student's code cannot reach.

``TrustedExecute`` takes the place of nbgrader's ``Execute`` preprocessor in autograde
(``grader/nbgrader_config.py``). For each submitted notebook it

1. starts a sandboxed kernel (``grader.sandbox``: no course, no references, no network,
   capped) and sends it the agent (``grader.agent``);
2. runs there, in order, every code cell the student wrote or changed: the answer cells,
   scratch cells, cells they added. The course's own cells (the setup, explanations,
   explorers) are left out: they need the references the sandbox does not have, and a
   student's function must not depend on them;
3. runs every graded cell **here**, in the grader's process, from the source nbgrader
   keeps in its gradebook (hidden tests included), with the setup cell's names (numpy,
   convlib, torch, the checks) and, for each name an answer cell defines, a proxy: a call
   crosses into the kernel (``grader.agent``), the student's function runs there on the
   inputs, and only its result comes back, as plain data (``grader.wire``). The checks
   compare it with the reference here. Nothing the student's cells do to their kernel
   (redefine the checks, patch numpy, replace IPython's error display, print "passed",
   exit) can change this verdict;
4. writes each graded cell's outcome as its output (the green line, or the check's
   message as an error, never a traceback of hidden tests), so that nbgrader's
   ``SaveAutoGrades``, its feedback and the Formgrader work on the result unchanged;
5. writes the integrity report (``grader.integrity``): what the code reaches for, and
   what happened while it ran.

Honest mistakes cost no more than they should: a warning on stderr is not a failure; a
function that hangs costs one timeout per exercise (``call_timeout``), not one per cell;
a kernel that dies keeps the points earned before it and scores the rest 0.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from traitlets import Bool, Float, Integer, Unicode

from grader import checks, integrity, wire
from grader.sandbox import Kernel, KernelGone, Limits, unavailable_reason

AGENT_SOURCE = (Path(wire.__file__).read_text() + "\n" + (Path(__file__).parent / "agent.py").read_text())
PRELUDE = f"""
import sys as _sys, types as _types
_agent = _types.ModuleType("_grader_agent")
_sys.modules["_grader_agent"] = _agent
exec(compile({AGENT_SOURCE!r}, "<grader agent>", "exec"), _agent.__dict__)
_agent.block_references()
del _sys, _types, _agent
import numpy as np
"""


MAX_RESTARTS = 2  # per notebook: a submission that breaks every fresh kernel the same way is not retried forever


def course_directory():
    """nbgrader's CourseDirectory as the course's configuration sets it (``JUPYTER_CONFIG_PATH=grader``)."""
    from nbgrader.apps.baseapp import NbGrader
    from nbgrader.coursedir import CourseDirectory

    app = NbGrader()
    app.load_config_file()
    return CourseDirectory(config=app.config)


def defined_names(source: str) -> set[str]:
    """The names a cell defines at its top level (functions, classes, assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def used_names(source: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def normalized(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@dataclass
class Trusted:
    """What the grader knows of the assignment, none of it from the submission."""

    setup: str  # the setup cell's source
    graded: dict[str, str]  # graded cell id -> source, hidden tests included
    answers: set[str]  # the names the answer cells define
    course_cells: set[str]  # normalized sources of the released notebook's cells that are not answers
    locked: dict[str, str] = field(default_factory=dict)  # read-only cell id -> source (the setup, ...)


@dataclass
class Outcome:
    """The run of one submission: the notebook with outputs, each graded cell's verdict, the evidence."""

    nb: object
    cells: dict[str, str] = field(default_factory=dict)  # graded cell -> "passed" or the check's message
    findings: list = field(default_factory=list)
    kernel_starts: int = 0
    seconds: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)  # where the seconds went (PARTS), for bench_grading


# The parts of a submission's grading time (Outcome.parts)
PARTS = ("kernel start", "setup cell", "answer cells", "graded cells", "kernel stop")


@contextlib.contextmanager
def timed(parts: dict[str, float], part: str):
    begin = time.monotonic()
    try:
        yield
    finally:
        parts[part] = parts.get(part, 0.0) + time.monotonic() - begin


class Session:
    """One submission's kernel, the replay of its cells after a restart, and the proxies into it."""

    def __init__(self, kernel: Kernel, cell_timeout: float, call_timeout: float, findings: list):
        self.kernel, self.cell_timeout, self.call_timeout = kernel, cell_timeout, call_timeout
        self.findings = findings
        self.ran: list[str] = []  # the student's cells that ran to the end, for a replay after a restart
        self.dead: str = ""  # why the kernel is gone, once it is
        self.hung: dict[str, str] = {}  # function -> the message it got when it hung
        self.flagged: dict[str, str] = {}  # function -> the reference its code reaches (grader.integrity)
        self.serving: str | None = None  # msg_id of the agent's serve() while a graded cell runs
        self.restarts = 0

    def start(self) -> None:
        self.kernel.start()
        run = self.kernel.execute(PRELUDE, timeout=60, silent=True)
        if run.status != "ok":
            raise KernelGone(f"the grader's agent did not start in the kernel: {run.status} {run.error}")

    def restart(self, why: str, cell: int) -> bool:
        """A fresh kernel with the student's cells that had run replayed; False if that fails too."""
        self.serving = None
        if self.restarts >= MAX_RESTARTS:
            self.dead = f"the kernel was restarted {MAX_RESTARTS} times and failed again ({why})"
            self.findings.append(integrity.Finding("runtime", cell, 0, self.dead))
            self.kernel.shutdown()
            return False
        self.restarts += 1
        self.findings.append(integrity.Finding("runtime", cell, 0, why + "; the kernel was restarted"))
        try:
            self.kernel.shutdown()
            self.start()
        except KernelGone as error:
            self.dead = f"the kernel could not be restarted ({error})"
            return False
        for source in self.ran:
            run = self.kernel.execute(source, timeout=self.cell_timeout)
            if run.status in ("timeout", "dead"):
                self.dead = "the kernel did not survive replaying the cells that had run before"
                return False
        return True

    # -- the student's cells

    def run_cell(self, source: str, index: int) -> list:
        """Run one of the student's cells; its outputs."""
        if self.dead:
            return []
        run = self.kernel.execute(source, timeout=self.cell_timeout)
        if run.truncated:
            self.findings.append(integrity.Finding("output", index, 0, "printed more than the grader keeps; cut"))
        if run.status in ("ok", "error"):
            self.ran.append(source)
            if run.error and run.error.get("ename") == "MemoryError":
                self.findings.append(integrity.Finding("runtime", index, 0, "hit the memory cap (MemoryError)"))
            return run.outputs
        if run.status == "timeout":
            outputs = run.outputs + [error_output("CellTimeout", f"this cell ran longer than {self.cell_timeout:g} s "
                                                  "and was stopped")]
            self.kernel.interrupt()
            if self.kernel.wait_idle(3):
                self.findings.append(integrity.Finding("runtime", index, 0,
                                                       f"ran longer than {self.cell_timeout:g} s; interrupted"))
            else:
                self.restart(f"ran longer than {self.cell_timeout:g} s and ignored the interrupt", index)
            return outputs
        self.dead = f"the kernel died while running cell {index}"
        self.findings.append(integrity.Finding("runtime", index, 0, "the kernel died while this cell ran "
                                               "(os._exit, a crash, a signal or the memory cap)"))
        return run.outputs + [error_output("KernelDied", "the Python process ended while this cell ran: "
                                           "the graded cells after it score 0")]

    # -- the agent

    def _serve(self) -> str:
        if self.serving is None:
            self.serving = self.kernel.begin_serving(self.call_timeout)
        return self.serving

    def stop_serving(self) -> None:
        if self.serving is not None and not self.dead:
            self.kernel.end_serving(self.serving)
        self.serving = None

    def ask(self, request: dict, what: str, cell: int) -> dict:
        """One request to the agent; its answer, or a StudentError saying why there is none."""
        if self.dead:
            raise checks.StudentError("KernelDied", f"not run: {self.dead}")
        try:
            msg_id = self._serve()
            answer = self.kernel.ask(msg_id, json.dumps(request), self.call_timeout)
        except TimeoutError:
            message = f"{what} did not return within {self.call_timeout:g} s"
            self.kernel.interrupt()
            try:
                self.kernel._next_prompt(self.serving, 3)  # the agent answers the interrupted call
            except (TimeoutError, KernelGone):
                self.restart(f"{what} hung and ignored the interrupt", cell)
            self.findings.append(integrity.Finding("runtime", cell, 0, f"{what} hung; stopped after "
                                                   f"{self.call_timeout:g} s"))
            raise checks.StudentError("Timeout", message) from None
        except KernelGone as error:
            if not self.kernel.alive():
                self.dead = f"the kernel died while running {what}"
                self.findings.append(integrity.Finding("runtime", cell, 0, self.dead))
                raise checks.StudentError("KernelDied", f"the Python process ended while running {what}") from None
            self.serving = None  # the agent was replaced or stopped: a restart gives a fresh one
            self.findings.append(integrity.Finding("tampering", cell, 0, f"the grader's agent stopped answering: "
                                                   f"{error}"))
            if not self.restart("the grader's agent stopped answering", cell):
                raise checks.StudentError("KernelDied", f"not run: {self.dead}") from None
            return self.ask(request, what, cell)
        try:
            return json.loads(answer)
        except ValueError:
            raise checks.StudentError("Unreadable", f"{what}: the kernel's answer is not plain data") from None

    def resolve(self, names: list[str], cell: int) -> dict:
        answer = self.ask({"op": "resolve", "names": names}, "looking up " + ", ".join(names), cell)
        return answer.get("names", {}) if isinstance(answer, dict) else {}


class Proxy:
    """Stands for a student's function in a graded cell: calling it calls the function in the kernel."""

    runs_in_sandbox = True  # grader.checks.call: nothing of the student's runs in this process

    def __init__(self, session: Session, name: str, cell: int):
        self.session, self.__name__, self.cell = session, name, cell

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        name, session = self.__name__, self.session
        if name in session.flagged:
            raise checks.StudentError("ReferenceUsed", f"{session.flagged[name]} is the reference this exercise "
                                                       "asks you to write yourself")
        if name in session.hung:
            raise checks.StudentError("Timeout", session.hung[name] + " earlier, so it is not called again")
        try:
            answer = session.ask({"op": "call", "name": name, "args": wire.dumps(list(args)),
                                  "kwargs": wire.dumps(kwargs)}, f"{name}(...)", self.cell)
        except checks.StudentError as error:
            if error.kind == "Timeout":
                session.hung[name] = error.message
            raise
        if not isinstance(answer, dict):
            raise checks.StudentError("Unreadable", "the kernel's answer is not plain data")
        if answer.get("references") or (isinstance(answer.get("error"), dict)
                                         and answer["error"].get("kind") == "ReferenceUsed"):
            used = str((answer.get("references") or ["numpy.convolve"])[0])[:100]
            session.findings.append(integrity.Finding("reference", self.cell, 0, f"{name} called {used} while "
                                                      "graded"))
            raise checks.StudentError("ReferenceUsed", f"{used} is the reference this exercise asks you to write "
                                                       "yourself")
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            raise checks.StudentError(str(error.get("kind", "Error"))[:100], str(error.get("message", ""))[:2000],
                                      str(error.get("where", ""))[:300], str(error.get("origin", ""))[:100])
        try:
            return wire.loads(answer.get("value", "null"))
        except wire.WireError as error:
            raise checks.StudentError("Unreadable", f"what {name} returned could not be read: {error}") from None


def error_output(ename: str, message: str):
    lines = message.splitlines() or [""]
    return new_output("error", ename=ename, evalue=message,
                      traceback=[f"{checks.RED}{checks.BOLD}✗ {lines[0]}{checks.RESET}", *lines[1:]])


def judge(source: str, gid: str, namespace: dict, session: Session, trusted: Trusted, cell: int) -> tuple[list, str]:
    """Run one graded cell here; its outputs, and "passed" or the message it failed with."""
    names = sorted((used_names(source) & trusted.answers) - set(checks.__all__))
    if session.dead:
        message = f"not graded: {session.dead}"
        return [error_output("KernelDied", message)], message
    try:
        found = session.resolve(names, cell) if names else {}
    except checks.StudentError as error:
        message = f"not graded: {error.message}"
        return [error_output(error.kind, message)], message
    for name in names:
        namespace.pop(name, None)
        entry = found.get(name, {}) if isinstance(found, dict) else {}
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind == "callable":
            namespace[name] = Proxy(session, name, cell)
        elif kind == "value":
            try:
                namespace[name] = wire.loads(entry.get("value", "null"))
            except wire.WireError:
                namespace[name] = wire.Opaque("unreadable", "a value that is not plain data")
    printed = io.StringIO()
    checks._checks_run = 0
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(source, f"<graded cell {gid}>", "exec"), namespace)
    except checks.CheckFailed as failure:
        message = str(failure)
        outputs = [error_output("CheckFailed", message)]
    except NameError as error:
        missing = getattr(error, "name", "") or str(error)
        message = (f"{missing} is not defined: run the cell that defines it (its exercise) without an error"
                   if missing in trusted.answers else f"the check could not run: NameError: {error}")
        outputs = [error_output("NameError", message)]
    except Exception as error:  # the checks' own inputs went wrong: say so, without the hidden source
        message = f"the check could not run: {type(error).__name__}: {error}"
        outputs = [error_output(type(error).__name__, message)]
    else:
        message = "passed"
        outputs = [new_output("stream", name="stdout", text=checks.passed_message(source, checks._checks_run) + "\n")]
    finally:
        session.stop_serving()
    text = printed.getvalue()
    if text and message == "passed":
        outputs.insert(0, new_output("stream", name="stdout", text=text[:20_000]))
    return outputs, message


def grade_notebook(nb, trusted: Trusted, files: Path | None = None, *, cell_timeout: float = 10,
                   call_timeout: float = 5, limits: Limits | None = None, sandbox: bool = True) -> Outcome:
    """Run a (sanitized) submission as the module's docstring says; the notebook gets the outputs."""
    started = time.monotonic()
    outcome = Outcome(nb, parts=dict.fromkeys(PARTS, 0.0))
    parts = outcome.parts
    student_sources = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not meta(cell).get("grade"):
            if meta(cell).get("grade_id") != "setup" and normalized(cell.source) not in trusted.course_cells:
                student_sources.append(cell.source)
                outcome.findings.extend(integrity.scan(cell.source, index))
    kernel = Kernel(files=files, limits=limits or Limits(), sandbox=sandbox)
    session = Session(kernel, cell_timeout, call_timeout, outcome.findings)
    session.flagged = {name: ref for name, ref in integrity.references_of_functions(student_sources).items()}
    namespace: dict = {}
    with timed(parts, "setup cell"), contextlib.redirect_stdout(io.StringIO()):
        exec(compile(trusted.setup, "<setup cell>", "exec"), namespace)
    try:
        try:
            with timed(parts, "kernel start"):
                session.start()
        except KernelGone as error:
            session.dead = f"the kernel did not start ({error})"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None
            gid = meta(cell).get("grade_id", "")
            if meta(cell).get("grade") and not meta(cell).get("solution") and gid in trusted.graded:
                with timed(parts, "graded cells"):
                    cell.outputs, outcome.cells[gid] = judge(trusted.graded[gid], gid, namespace, session, trusted,
                                                             index)
            elif gid == "setup" or normalized(cell.source) in trusted.course_cells:
                continue  # the course's own cell: not the student's work, and it needs the references
            else:
                with timed(parts, "answer cells"):
                    cell.outputs = session.run_cell(cell.source, index)
            cell.execution_count = index + 1
    finally:
        outcome.kernel_starts = kernel.starts
        with timed(parts, "kernel stop"):
            kernel.shutdown()
    outcome.seconds = time.monotonic() - started
    return outcome


def trusted_from_gradebook(db_url: str, assignment: str, notebook: str, released_path: Path | None) -> Trusted:
    """The assignment's setup, graded cells and answer names from nbgrader's gradebook, and the released
    notebook's other cells (to tell the course's cells from the student's)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        source = gb.find_notebook(notebook, assignment)
        cells = {c.name: c for c in source.source_cells}
        graded = {c.name: cells[c.name].source for c in source.grade_cells
                  if c.cell_type == "code" and c.name in cells}
        solution_ids = {c.name for c in source.solution_cells}
        setup = cells["setup"].source if "setup" in cells else "import numpy as np\nfrom grader.checks import *\n"
        answers = set().union(*[defined_names(cells[n].source) for n in solution_ids if n in cells
                                and cells[n].cell_type == "code"])
        locked = {c.name: c.source for c in source.source_cells if c.locked and c.name not in graded}
    course_cells = set()
    if released_path is not None and released_path.exists():
        released = nbformat.read(released_path, as_version=4)
        course_cells = {normalized(c.source) for c in released.cells
                        if c.cell_type == "code" and not meta(c).get("solution") and c.source.strip()}
    return Trusted(setup, graded, answers, course_cells, locked)


# ----------------------------------------------------------------------------- nbgrader's side

try:
    from nbgrader.preprocessors import NbGraderPreprocessor
except ImportError:  # pragma: no cover (nbgrader is a dependency of the course)
    NbGraderPreprocessor = object


class TrustedExecute(NbGraderPreprocessor):
    """nbgrader's ``Execute``, replaced: the student's cells run sandboxed, the graded cells run here."""

    cell_timeout = Float(10, help="Seconds one of the student's cells may run before it is stopped.").tag(config=True)
    call_timeout = Float(5, help="Seconds one call of a student's function may take; a function that hangs "
                                  "is not called again, so an exercise costs at most one of these.").tag(config=True)
    sandbox = Bool(True, help="Run the kernel in the bubblewrap sandbox. Without it the student's code runs "
                              "with the grader's rights: never for untrusted submissions.").tag(config=True)
    memory_mb = Integer(3072, help="Address space of the kernel, in MiB.").tag(config=True)
    cpu_seconds = Integer(300, help="CPU time of any one process in the sandbox.").tag(config=True)
    processes = Integer(48, help="Processes and threads the sandbox's user may have.").tag(config=True)
    integrity_directory = Unicode("grader/integrity", help="Where the integrity reports go, under the course "
                                                           "root.").tag(config=True)

    def preprocess(self, nb, resources):
        ids = resources["nbgrader"]
        assignment, notebook, student = ids["assignment"], ids["notebook"], ids["student"]
        from nbgrader.coursedir import CourseDirectory

        course = CourseDirectory(config=self.config)  # the app's, with --course-dir and the like
        if self.sandbox and (reason := unavailable_reason()):
            raise RuntimeError(f"cannot grade safely: {reason}. Set c.TrustedExecute.sandbox = False in "
                               "grader/nbgrader_config.py only if every submission is trusted.")
        released = Path(course.format_path(course.release_directory, ".", assignment)) / f"{notebook}.ipynb"
        trusted = trusted_from_gradebook(ids["db_url"], assignment, notebook, released)
        submitted = Path(course.format_path(course.submitted_directory, student, assignment))
        findings = submission_findings(submitted / f"{notebook}.ipynb", released, trusted)
        folder = Path(resources.get("metadata", {}).get("path") or submitted)
        limits = Limits(memory_bytes=self.memory_mb * 2**20, cpu_seconds=self.cpu_seconds,
                        processes=self.processes)
        outcome = grade_notebook(nb, trusted, folder, cell_timeout=self.cell_timeout,
                                 call_timeout=self.call_timeout, limits=limits, sandbox=self.sandbox)
        outcome.findings[:0] = findings
        integrity.write(Path(course.root) / self.integrity_directory, assignment, student, notebook,
                        outcome.findings, outcome.cells)
        self.log.info("%s/%s graded in %.1f s (%d kernel start(s)), %d finding(s)", student, assignment,
                      outcome.seconds, outcome.kernel_starts, len(outcome.findings))
        return outcome.nb, resources


def submission_findings(submitted: Path, released: Path, trusted: Trusted) -> list:
    """What the submitted file shows before nbgrader restores it: graded or read-only cells edited,
    deleted or copied, the kernelspec changed."""
    found = []
    try:
        nb = nbformat.read(submitted, as_version=4)
    except Exception as error:  # noqa: BLE001 (nbgrader reports it too; this is evidence)
        return [integrity.Finding("cells", 0, 0, f"the submitted notebook could not be read: {error}")]
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        gid = meta(cell).get("grade_id")
        if gid is None:
            if normalized(cell.source) in {normalized(s) for s in trusted.graded.values()} or any(
                    normalized(cell.source) and normalized(cell.source) in normalized(s)
                    for s in trusted.graded.values() if len(cell.source) > 40):
                found.append(integrity.Finding("cells", index, 0, "a copy of a graded cell, without its metadata"))
            continue
        if gid in seen:
            found.append(integrity.Finding("cells", index, 0, f"graded cell {gid} appears twice (also cell "
                                                              f"{seen[gid]}): graded once"))
        seen[gid] = index
        if gid in trusted.locked and normalized(cell.source) != normalized(trusted.locked[gid]):
            found.append(integrity.Finding("cells", index, 0, f"the read-only cell {gid} was edited (restored)"))
        if gid in trusted.graded:
            visible = trusted.graded[gid].split("### BEGIN HIDDEN TESTS")[0]
            if normalized(cell.source) != normalized(visible) and normalized(cell.source) != normalized(
                    trusted.graded[gid]):
                found.append(integrity.Finding("cells", index, 0, f"graded cell {gid} was edited (restored)"))
            if meta(cell).get("points") is not None and not meta(cell).get("grade"):
                found.append(integrity.Finding("cells", index, 0, f"graded cell {gid} was unmarked"))
    for gid in trusted.graded:
        if gid not in seen:
            found.append(integrity.Finding("cells", 0, 0, f"graded cell {gid} was deleted (added back)"))
    try:
        kernel = nb.metadata.get("kernelspec", {}).get("name")
        expected = nbformat.read(released, as_version=4).metadata.get("kernelspec", {}).get("name") \
            if released.exists() else "python3"
    except Exception:  # noqa: BLE001
        kernel, expected = None, None
    if kernel != expected:
        found.append(integrity.Finding("cells", 0, 0, f"the kernelspec was changed to {kernel!r} (reset to "
                                                      f"{expected!r})"))
    return found


try:
    from nbgrader.preprocessors import DeduplicateIds
except ImportError:  # pragma: no cover
    DeduplicateIds = object


class DeduplicateGradeIds(DeduplicateIds):
    """nbgrader's DeduplicateIds, fixed: a copy of a graded cell loses its nbgrader metadata altogether.

    nbgrader leaves it an empty ``nbgrader`` dict, on which its own OverwriteCells then fails with
    ``KeyError: 'grade_id'`` and the whole notebook scores 0 (nbgrader #1083). As nbgrader does, the
    last copy stays graded; the others become ordinary cells (grader.integrity reports them).
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
