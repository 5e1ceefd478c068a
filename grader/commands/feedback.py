"""Write each student's feedback, an HTML page per notebook, and with --exchange return it to them.

nbgrader's generate_feedback renders each autograded notebook into
grader/feedback/<student>/<assignment>/<notebook>.html. The course configures it so that
the page opens with a table of every graded cell (what it checks, passed or failed, its
points, the check's message), and shows the visible checks only: never the hidden tests,
never a traceback. --exchange then runs nbgrader's release_feedback, after which each
student gets their own page with `nbgrader fetch_feedback <assignment>` (or the Assignments
tab of Jupyter). Without an exchange, send each student their HTML file.

examples:
  python -m grader feedback                      every graded assignment
  python -m grader feedback 01_convolution --exchange
"""

from __future__ import annotations

from grader.course import failure

ORDER = 40  # place in `python -m grader --help`: the workflow's order
HELP = "one HTML page per student and notebook (--exchange: return them)"


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="the assignments (default: every one with autograded submissions)")
    parser.add_argument("--student", action="append", default=[], metavar="ID",
                        help="only this student's feedback (repeat for more)")
    parser.add_argument("--exchange", action="store_true",
                        help="also release the feedback to the exchange (nbgrader release_feedback)")


def graded(course, assignment: str) -> list[str]:
    """The students with an autograded submission of ``assignment``."""
    folder = course.path("autograded")
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.is_dir() else []


def run(args, course) -> int:
    from grader.progress import bar, console, table

    names = course.check_assignments(args.assignments)
    todo = [(a, s) for a in names for s in graded(course, a) if not args.student or s in args.student]
    if not todo:
        console.print(f"no autograded submissions in {course.path('autograded')}: run `python -m grader autograde`")
        return 1 if args.assignments or args.student else 0
    api = course.api
    failed = []
    with bar("feedback", len(todo)) as progress:
        for assignment, student in todo:
            result = api.generate_feedback(assignment, student, force=True)
            if not result["success"]:
                failed.append((assignment, student, _last_error(result)))
                progress.print(f"[red]failed[/red] {student} / {assignment}: {failed[-1][2]}")
            progress.advance()
    rows, unsent = [], []
    for assignment in names:
        students = [s for a, s in todo if a == assignment]
        if not students:
            continue
        released = ""
        if args.exchange:
            # nbgrader's release_feedback finds a page's owner by the secret `nbgrader submit` left with it;
            # a submission that came from an LMS or a folder has none: its page is sent by hand.
            sendable = [s for s in students
                        if course.path("feedback", s, assignment, "submission_secret.txt").is_file()]
            unsent += [(assignment, s) for s in students if s not in sendable]
            for student in sendable:
                result = api.release_feedback(assignment, student)
                if not result["success"]:
                    raise failure(f"nbgrader release_feedback {assignment} --student {student}", result)
            released = f"{len(sendable)} released to {course.exchange}"
        written = len([s for s in students if (assignment, s) not in {(a, st) for a, st, _ in failed}])
        rows.append((assignment, written, len(students) - written, released))
    console.print(table("feedback", ["assignment", "pages", "failed", "exchange"], rows, right=["pages", "failed"]))
    console.print(f"the pages are in {course.path('feedback')}/<student>/<assignment>/")
    if unsent:
        console.print("[yellow]not released[/yellow] (not submitted through the exchange; send these by hand): "
                      + ", ".join(f"{s} / {a}" for a, s in unsent))
    return 1 if failed else 0


def _last_error(result: dict) -> str:
    text = result.get("error") or result.get("log") or "no message"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
