"""One grading process of ``autograde --jobs N``: stock nbgrader autograde, one submission at a time.

The main process (:mod:`grader.runner`) starts N of these, sends each the course (its folder,
a copy of the gradebook, the exchange), then a submission ``(assignment, student, force)`` at
a time over a pipe. The worker grades it with
``NbGraderAPI.autograde`` (nbgrader's ``Autograde`` converter with the course's whole
configuration: whatever preprocessors ``grader/nbgrader_config.py`` names are the ones that
run) against its private copy of the gradebook, then sends back nbgrader's result, its log,
the time it took and the submission's rows read from the copy (:mod:`grader.gradebooks`).

Everything the worker and its kernels print goes to its own log file, so that a student's
notebook cannot scribble over the teacher's progress bar.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def serve(conn, log_path: str) -> None:
    """Import nbgrader, then take the course (root, gradebook copy, exchange) from ``conn``, then grade the
    submissions that arrive on it until it sends None (or closes)."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)  # the kernels this process starts inherit these too
    os.dup2(log, 2)
    os.close(log)

    from grader.course import Course, skip_unused_imports

    skip_unused_imports()
    from nbgrader.apps import NbGraderAPI  # seconds: done while the main process reads the course

    from grader.gradebooks import submission_rows

    try:
        settings = conn.recv()
    except EOFError:
        return
    if settings is None:
        return
    root, db_url, exchange = settings
    course = Course(Path(root), db_url=db_url, exchange=Path(exchange))
    app = course.nbgrader_app(log_level="INFO")  # the whole log of each submission goes back with it
    api = NbGraderAPI(coursedir=app.coursedir, parent=app)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            break
        if task is None:
            break
        assignment, student, force = task
        start = time.perf_counter()
        result = api.autograde(assignment, student, force=force, create=True)
        seconds = time.perf_counter() - start
        rows = submission_rows(db_url, assignment, student)
        conn.send({"assignment": assignment, "student": student, "success": result["success"],
                   "log": result.get("log", ""), "error": result.get("error", ""), "seconds": seconds,
                   "rows": rows})
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # everything is sent and every kernel stopped: skip a second of interpreter teardown
