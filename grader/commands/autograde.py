"""Grade the collected submissions with nbgrader, several at a time.

Every submission in grader/submitted/<student>/<assignment>/ is run and scored by stock
`nbgrader autograde`, with the course's configuration, in --jobs processes at once; the
grades are exactly those a serial `nbgrader autograde` gives. The student's cells run in a
sandboxed kernel and the graded cells in the grader (grader/verdict.py): a cell that hangs
is stopped after 10 s, a kernel that dies keeps the points earned before it, and no
submission stops the others; one that brings down its grading process is reported and
left ungraded. `python -m grader integrity` then lists what submissions tried.

A submission graded before is skipped unless it was collected again since, or --force.
nbgrader's log of each submission is kept in grader/logs/autograde/<assignment>/<student>.log.

examples:
  python -m grader autograde                       every assignment, 2 at a time
  python -m grader autograde 01_convolution --jobs 4
  python -m grader autograde 01_convolution --student ivan_petrov --force
"""

from __future__ import annotations

import os

from grader.course import CourseError

ORDER = 30  # place in `python -m grader --help`: the workflow's order
HELP = "grade the collected submissions, in parallel (--jobs N)"


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="the assignments to grade (default: every one with submissions)")
    parser.add_argument("--student", action="append", default=[], metavar="ID",
                        help="grade only this student's submissions (repeat for more)")
    parser.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                        help="submissions graded at once, one process each (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="grade again what was graded before")
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="stop grading one submission after this long (default: %(default)g); "
                             "nbgrader's per-cell timeout in grader/nbgrader_config.py usually acts first")


def run(args, course) -> int:
    from grader import runner
    from grader.progress import bar, console

    if args.jobs < 1:
        raise CourseError(f"--jobs must be at least 1, got {args.jobs}")
    pool = runner.Pool(args.jobs)  # the grading processes start up while the course is read
    todo = []
    try:
        names = course.check_assignments(args.assignments)
        todo = [(a, s) for a in names for s in course.submissions(a) if not args.student or s in args.student]
    finally:
        if not todo:
            pool.close()
    if not todo:
        console.print("nothing to grade: no submissions in "
                      f"{course.path('submitted')} (run `python -m grader collect` first)")
        return 0 if not args.student else 1
    logs = course.root / "grader" / "logs" / "autograde"
    with bar(f"autograde ({args.jobs} at a time)", len(todo)) as progress:
        def done(outcome) -> None:
            log = logs / outcome.assignment / f"{outcome.student}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(outcome.log)
            if outcome.status == "failed":
                progress.print(f"[red]failed[/red] {outcome.student} / {outcome.assignment}: {outcome.problem}")
            progress.advance()

        outcomes = runner.autograde(course, todo, jobs=args.jobs, force=args.force, timeout=args.timeout,
                                    on_outcome=done, logs=logs, pool=pool)
    console.print(summary(course, outcomes))
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        console.print(f"[red]{len(failed)} submission(s) failed[/red]; their logs are in {logs}/")
    return 1 if failed else 0


def summary(course, outcomes: list):
    """Per submission: the score nbgrader recorded, the status, and the time it took."""
    from nbgrader.api import MissingEntry

    from grader.progress import points, table

    rows = []
    with course.gradebook() as gb:
        for o in sorted(outcomes, key=lambda o: (o.assignment, o.student)):
            try:
                submission = gb.find_submission(o.assignment, o.student)
                score, max_score = submission.score, submission.max_score
            except MissingEntry:  # nothing recorded: its grading process died
                score, max_score = None, None
            rows.append((o.assignment, o.student, points(score), points(max_score), o.status,
                         f"{o.seconds:.1f}", o.problem))
    return table("autograde", ["assignment", "student", "score", "of", "status", "seconds", "problem"], rows,
                 right=["score", "of", "seconds"])
