"""Parallel autograding (nbgrader #174): N grading processes, one gradebook writer, no submission able to stop the rest.

:func:`autograde` grades a list of submissions in ``jobs`` worker processes
(:mod:`grader.worker`), each running stock ``nbgrader autograde`` on one submission at a
time against a private copy of the gradebook. This process is the gradebook's only writer:
as each submission comes back, its rows go into the course's gradebook in one transaction
(:mod:`grader.gradebooks`). So SQLite, nbgrader's embedded default, never sees two writers,
and the grades are exactly those of serial ``nbgrader autograde`` (``tests/test_parallel.py``
compares the exported CSVs).

What a submission can do to the batch:

- raise, time out in a cell, or kill its kernel: nbgrader handles it in the worker as it
  does in serial (the cell scores 0, or the submission is reported failed);
- kill or hang its grading process (``os.kill(os.getppid(), 9)``, a loop nbgrader cannot
  interrupt): the worker is killed after ``timeout`` seconds or found dead, the submission
  is reported failed with nothing of it written, and a fresh worker takes the next one.

No other student's grade is touched in any case: a worker's rows reach the gradebook only
when it reports back on the submission they belong to.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

from grader import gradebooks, worker
from grader.course import Course, CourseError


@dataclass
class Outcome:
    """What became of one submission: ``status`` is graded, skipped (already graded) or failed."""

    assignment: str
    student: str
    status: str
    seconds: float = 0.0
    problem: str = ""
    log: str = ""


@dataclass
class _Worker:
    number: int
    process: multiprocessing.Process
    conn: object
    log_path: Path
    task: tuple[str, str] | None = None
    started: float = 0.0
    ready: bool = False


class Pool:
    """Grading processes, started at once: each spends seconds importing nbgrader, while this process reads the
    course. :meth:`attach` then gives a worker its snapshot of the gradebook. A context manager: on leaving it
    the workers are stopped, their logs kept (``logs``) and their snapshots removed."""

    def __init__(self, jobs: int):
        if jobs < 1:
            raise ValueError(f"autograde: jobs must be at least 1, got {jobs}")
        self.workdir = Path(tempfile.mkdtemp(prefix="grader-autograde-"))
        self.logs: Path | None = None
        self._context = multiprocessing.get_context("spawn")
        self._started = 0
        self.workers = [self.launch() for _ in range(jobs)]

    def launch(self) -> _Worker:
        self._started += 1
        log_path = self.workdir / f"worker-{self._started}.log"
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=worker.serve, name=f"grader-worker-{self._started}",
                                        args=(theirs, str(log_path)))
        process.start()
        theirs.close()
        return _Worker(self._started, process, ours, log_path)

    def attach(self, w: _Worker, course: Course) -> None:
        """Give ``w`` a snapshot of the course's gradebook as it is now (this process alone writes the gradebook)."""
        copy = self.workdir / f"gradebook-{w.number}.db"
        gradebooks.snapshot(course.db_path, copy)
        w.conn.send((str(course.root), f"sqlite:///{copy}", str(course.exchange)))

    def stop(self, w: _Worker, kill: bool = False) -> None:
        if kill:
            w.process.kill()
        else:
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        w.process.join(timeout=30)
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        w.conn.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers, keep their logs (in ``logs``, if set), remove the snapshots."""
        for w in self.workers:
            if w.process.exitcode is None:
                self.stop(w)
        if self.logs is not None:
            self.logs.mkdir(parents=True, exist_ok=True)
            for path in self.workdir.glob("worker-*.log"):
                shutil.copy(path, self.logs / path.name)
        shutil.rmtree(self.workdir, ignore_errors=True)


# nbgrader's lines that say only that something failed, not what
GENERIC = ("Please see the", "There was an error processing", "Traceback")


def _problem(log: str, error: str) -> str:
    """One line saying why nbgrader failed a submission, from its log and traceback."""
    text = f"{log}\n{error}"
    raised = re.findall(r"^\s*(?:\w+\.)*(\w+(?:Error|Exception|Interrupt)): ?(.*)$", text, re.M)
    raised = [f"{kind}: {message}".rstrip(": ") for kind, message in raised
              if kind != "NbGraderException" or not message.startswith(GENERIC)]
    raised = [line.removeprefix("NbGraderException: ") for line in raised]
    errors = [line.split("] ", 1)[-1] for line in text.splitlines() if line.startswith("[ERROR]")]
    errors = [line for line in errors if not line.startswith(GENERIC)]
    return (raised or errors or ["nbgrader reported a failure without a message"])[-1]


def _outcome(message: dict) -> Outcome:
    log = message["log"] + (f"\n{message['error']}" if message["error"] else "")
    if not message["success"]:
        status, problem = "failed", _problem(message["log"], message["error"])
    elif "Skipping existing assignment" in message["log"]:
        status, problem = "skipped", "already graded (use --force to grade it again)"
    else:
        status, problem = "graded", ""
    return Outcome(message["assignment"], message["student"], status, message["seconds"], problem, log)


def _stored(course: Course, message: dict) -> Outcome:
    """The outcome of one graded submission, its rows moved into the course's gradebook first. A
    submission whose rows cannot be stored is reported failed; the batch goes on."""
    outcome = _outcome(message)
    if outcome.problem.startswith("No notebooks found"):  # nbgrader's words for a submission it cannot match
        wanted = ", ".join(f"{name}.ipynb" for name in course.notebooks(outcome.assignment))
        held = sorted(p.name for p in course.path("submitted", outcome.student, outcome.assignment).glob("*"))
        outcome.problem = f"the submission has no {wanted} (it holds: {', '.join(held) or 'nothing'})"
    if not message["rows"]["student"]:  # nbgrader found no notebook of the assignment in the folder
        if outcome.status == "graded":
            outcome.status = "skipped"
            outcome.problem = f"no notebook of {outcome.assignment} in the folder: nothing graded, it counts 0"
        return outcome
    try:
        gradebooks.store(course.db_url, message["assignment"], message["student"], message["rows"])
    except Exception as error:  # noqa: BLE001 (one submission's rows must not stop the others)
        outcome.status, outcome.problem = "failed", f"its grades could not be stored: {type(error).__name__}: {error}"
    return outcome


def largest_first(course: Course, submissions: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The submissions, the largest notebooks first: a solved notebook runs its hidden tests in full and takes
    longest, and starting the long ones first leaves no worker idle at the end while one finishes."""
    def size(item: tuple[str, str]) -> int:
        assignment, student = item
        return sum(p.stat().st_size for p in course.path("submitted", student, assignment).glob("*.ipynb"))

    return sorted(submissions, key=size, reverse=True)


def autograde(course: Course, submissions: Iterable[tuple[str, str]], jobs: int = 2, force: bool = False,
              timeout: float = 600.0, on_outcome: Callable[[Outcome], None] | None = None,
              logs: Path | None = None, pool: Pool | None = None) -> list[Outcome]:
    """Grade ``submissions`` (assignment, student) in ``jobs`` processes; return one Outcome each, in order done.

    ``timeout`` bounds one submission's grading (nbgrader's own per-cell timeout,
    ``ExecutePreprocessor.timeout``, usually stops a runaway cell long before). ``on_outcome``
    is called as each submission is done, after its grades are in the gradebook; the workers'
    own logs are copied to ``logs`` at the end. ``pool``: workers started earlier (``Pool(jobs)``),
    taken over and stopped here.
    """
    if timeout <= 0:
        raise ValueError(f"autograde: timeout must be a positive number of seconds, got {timeout}")
    with pool or Pool(jobs) as workers:
        workers.logs = logs
        if course.db_path is None:
            raise CourseError(f"parallel grading needs nbgrader's SQLite gradebook; the course's db_url is "
                              f"{course.db_url}")
        if not course.db_path.is_file():
            raise CourseError(f"no gradebook at {course.db_path}: run `python -m grader release` first")
        pending = deque(largest_first(course, submissions))
        for w in workers.workers[len(pending):]:  # more workers than submissions
            workers.stop(w)
        active = workers.workers[:len(pending)]
        for w in active:
            workers.attach(w, course)
        return _run(course, workers, active, pending, force, timeout, on_outcome)


def _run(course, pool: Pool, active: list[_Worker], pending: deque, force: bool, timeout: float,
         on_outcome) -> list[Outcome]:
    done: list[Outcome] = []

    def finish(outcome: Outcome) -> None:
        done.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    while pending or any(w.task for w in active):
        for w in active:
            if w.task is None and pending:
                w.task, w.started = pending.popleft(), time.monotonic()
                w.conn.send((*w.task, force))
        busy = [w for w in active if w.task]
        wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
        for i, w in enumerate(active):
            if w.task is None:
                continue
            message = None
            try:
                while w.conn.poll():
                    message = w.conn.recv()
                    if isinstance(message, tuple):  # ("ready", pid)
                        w.ready, message = True, None
                    else:
                        break
            except (EOFError, OSError):
                message = None
            if isinstance(message, dict):
                w.task = None
                finish(_stored(course, message))
                continue
            dead = not w.process.is_alive()
            late = time.monotonic() - w.started > timeout
            if not (dead or late):
                continue
            if dead and not w.ready:
                raise CourseError(f"a grading process could not start; its log:\n"
                                  f"{w.log_path.read_text(errors='replace')}")
            assignment, student = w.task
            pool.stop(w, kill=True)
            problem = (f"grading stopped after {timeout:g} s (--timeout)" if late else
                       f"the grading process died (exit code {w.process.exitcode}); the notebook may "
                       f"end its kernel's parent process")
            finish(Outcome(assignment, student, "failed", time.monotonic() - w.started, problem,
                           w.log_path.read_text(errors="replace")))
            w.task = None
            if pending:  # a fresh worker, on the gradebook as it is now, for the rest
                fresh = pool.launch()
                pool.workers.append(fresh)
                pool.attach(fresh, course)
                active[i] = fresh
    return done
