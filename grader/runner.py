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
from dataclasses import dataclass, field
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


@dataclass
class Pool:
    """``jobs`` worker processes over snapshots of ``course``'s gradebook, in ``workdir``."""

    course: Course
    jobs: int
    workdir: Path
    timeout: float
    _context: object = field(default_factory=lambda: multiprocessing.get_context("spawn"))
    _started: int = 0

    def start(self) -> _Worker:
        """A new worker on a fresh snapshot of the gradebook as it is now (this process writes it alone)."""
        self._started += 1
        number = self._started
        copy = self.workdir / f"gradebook-{number}.db"
        gradebooks.snapshot(self.course.db_path, copy)
        log_path = self.workdir / f"worker-{number}.log"
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker.serve, name=f"grader-worker-{number}",
            args=(theirs, str(self.course.root), f"sqlite:///{copy}", str(self.course.exchange), str(log_path)))
        process.start()
        theirs.close()
        return _Worker(number, process, ours, log_path)

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


def _problem(log: str, error: str) -> str:
    """One line saying why nbgrader failed a submission, from its log and traceback."""
    text = f"{log}\n{error}"
    raised = re.findall(r"^\s*(?:\w+\.)*(\w+(?:Error|Exception|Interrupt)): ?(.*)$", text, re.M)
    raised = [f"{kind}: {message}".rstrip(": ") for kind, message in raised if kind != "NbGraderException"]
    errors = [line.split("] ", 1)[-1] for line in text.splitlines() if line.startswith("[ERROR]")]
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


def autograde(course: Course, submissions: Iterable[tuple[str, str]], jobs: int = 2, force: bool = False,
              timeout: float = 600.0, on_outcome: Callable[[Outcome], None] | None = None,
              logs: Path | None = None) -> list[Outcome]:
    """Grade ``submissions`` (assignment, student) in ``jobs`` processes; return one Outcome each, in order done.

    ``timeout`` bounds one submission's grading (nbgrader's own per-cell timeout,
    ``ExecutePreprocessor.timeout``, usually stops a runaway cell long before). ``on_outcome``
    is called as each submission is done, after its grades are in the gradebook; the workers'
    own logs are copied to ``logs`` at the end.
    """
    if jobs < 1:
        raise ValueError(f"autograde: jobs must be at least 1, got {jobs}")
    if timeout <= 0:
        raise ValueError(f"autograde: timeout must be a positive number of seconds, got {timeout}")
    if course.db_path is None:
        raise CourseError(f"parallel grading needs nbgrader's SQLite gradebook; the course's db_url is "
                          f"{course.db_url}")
    if not course.db_path.is_file():
        raise CourseError(f"no gradebook at {course.db_path}: run `python -m grader release` first")
    pending = deque((a, s) for a, s in submissions)
    done: list[Outcome] = []

    def finish(outcome: Outcome) -> None:
        done.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    with tempfile.TemporaryDirectory(prefix="grader-autograde-") as tmp:
        pool = Pool(course, jobs, Path(tmp), timeout)
        workers = [pool.start() for _ in range(min(jobs, len(pending)))]
        try:
            while pending or any(w.task for w in workers):
                for w in workers:
                    if w.task is None and pending:
                        w.task, w.started = pending.popleft(), time.monotonic()
                        w.conn.send((*w.task, force))
                busy = [w for w in workers if w.task]
                wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
                for i, w in enumerate(workers):
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
                        gradebooks.store(course.db_url, message["assignment"], message["student"],
                                         message["rows"])
                        w.task = None
                        finish(_outcome(message))
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
                    log = w.log_path.read_text(errors="replace")
                    finish(Outcome(assignment, student, "failed", time.monotonic() - w.started, problem, log))
                    workers[i] = pool.start() if pending else w
                    if not pending:
                        w.task = None
        finally:
            for w in workers:
                if w.process.is_alive() or w.process.exitcode is None:
                    pool.stop(w)
            if logs is not None:
                logs.mkdir(parents=True, exist_ok=True)
                for path in Path(tmp).glob("worker-*.log"):
                    shutil.copy(path, logs / path.name)
    return done
