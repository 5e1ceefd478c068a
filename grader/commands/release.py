"""Make the students' notebooks from solutions/, and with --exchange publish them.

For each assignment this strips outputs from its source notebooks, then runs nbgrader's
generate_assignment: notebooks/<assignment>/ gets the students' copy (solutions replaced
by stubs, hidden tests removed, graded cells locked), and the gradebook records the
assignment with its graded cells and hidden tests, which autograde restores later. The
students' copies are never edited by hand; this is how they are made (the same as
`make release` and `python -m grader.release`).

--exchange then runs nbgrader's release_assignment, after which students get the
assignment with `nbgrader fetch_assignment <assignment>` or the Assignments tab of Jupyter.
Without an exchange, hand out notebooks/<assignment>/ (your LMS, a git repository).

examples:
  python -m grader release                         every assignment in solutions/
  python -m grader release 01_convolution --exchange
  python -m grader release --check                 is notebooks/ up to date? (writes nothing)
"""

from __future__ import annotations

ORDER = 10  # place in `python -m grader --help`: the workflow's order
HELP = "make the students' notebooks from solutions/ (--exchange: publish them)"


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="the assignments to release (default: every one in solutions/)")
    parser.add_argument("--exchange", action="store_true",
                        help="also publish them to the nbgrader exchange (nbgrader release_assignment)")
    parser.add_argument("--force", action="store_true",
                        help="with --exchange: replace an assignment already published there")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in a temporary folder and list what differs from notebooks/; write nothing")


def run(args, course) -> int:
    from grader import release
    from grader.course import failure
    from grader.progress import bar, console, points, table

    names = course.check_assignments(args.assignments)
    if args.check:
        found = release.check(names, root=course.root)
        for line in found:
            console.print(line)
        console.print(f"{len(names)} assignment(s) checked: " +
                      ("notebooks/ is up to date" if not found else "run `python -m grader release` and commit"))
        return 1 if found else 0
    with bar("release", len(names)) as progress:
        for name in names:
            for notebook in release.notebooks(course.path("source", name)):
                if release.strip_outputs(notebook):
                    progress.print(f"stripped outputs: {notebook.relative_to(course.root)}")
            release.generate(name, course_dir=course.root, db_url=course.db_url, cwd=course.root, env=course.env())
            progress.advance()
    published = {}
    if args.exchange:
        api = _exchange_api(course, args.force)
        for name in names:
            result = api.release_assignment(name)
            if not result["success"]:
                error = failure(f"nbgrader release_assignment {name}", result)
                said = str(error)
                raise type(error)(said if "--force" in said else said + " (to publish it again, add --force)")
            published[name] = str(course.exchange)
    rows = []
    with course.gradebook() as gb:
        for name in names:
            rows.append((name, ", ".join(course.notebooks(name)), points(gb.find_assignment(name).max_score),
                         str(course.path("release", name).relative_to(course.root)), published.get(name, "")))
    console.print(table("release", ["assignment", "notebooks", "points", "students' copy", "exchange"], rows,
                        right=["points"]))
    return 0


def _exchange_api(course, force: bool):
    """NbGraderAPI whose release_assignment overwrites what is in the exchange if ``force``."""
    if not force:
        return course.api
    from nbgrader.apps import NbGraderAPI

    app = course.nbgrader_app("--ExchangeReleaseAssignment.force=True")
    return NbGraderAPI(coursedir=app.coursedir, parent=app)
