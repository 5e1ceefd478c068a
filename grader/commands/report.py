"""See what the class got right and wrong: a table per exercise, and two plots.

For every exercise (an exercise's points are those of its graded cells), over the
students who submitted: the mean and median score, the share with full marks and the
share with none; then each assignment's totals. The plots, in grader/report/:

  scores.png      a histogram of the total scores, one panel per assignment
  exercises.png   each exercise's average score as a share of its points: the exercise
                  the class failed is the short bar

examples:
  python -m grader report
  python -m grader report 01_convolution --output ~/report
"""

from __future__ import annotations

from grader.cli import path

ORDER = 55  # place in `python -m grader --help`: the workflow's order
HELP = "what the class got right and wrong: a table per exercise, and plots"


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="only these (default: every one)")
    parser.add_argument("--output", "-o", type=path, metavar="DIR", help="where the plots go (default: grader/report)")
    parser.add_argument("--no-plots", action="store_true", help="the table only")


def run(args, course) -> int:
    from grader import grades, report
    from grader.course import CourseError
    from grader.progress import console, points, table

    if course.db_path is not None and not course.db_path.is_file():
        raise CourseError(f"no gradebook at {course.db_path}: run `python -m grader release` first")
    names = course.check_assignments(args.assignments) if args.assignments else None
    with course.gradebook() as gb:
        rows = grades.rows(gb, names)
        cells = {a: grades.cells(gb, a, course.path("source")) for a in dict.fromkeys(r.assignment for r in rows)}
    if not any(r.submitted for r in rows):
        console.print("no submissions graded yet: run `python -m grader autograde` first")
        return 1

    def share(value: float) -> str:
        return "-" if value != value else f"{100 * value:.0f} %"  # NaN: no submission counts

    def number(value: float) -> str:
        return "-" if value != value else f"{value:.2f}".rstrip("0").rstrip(".")

    exercises = report.exercise_stats(rows, cells)
    columns = ["assignment", "exercise", "points", "students", "mean", "median", "full marks", "zero", "not graded"]
    numbers = columns[2:]
    console.print(table("per exercise (over the students who submitted)", columns,
                        [(s.assignment, s.name, points(s.max_score), s.n, number(s.mean), number(s.median),
                          share(s.full), share(s.zero), s.ungraded or "") for s in exercises], right=numbers))
    totals = report.total_stats(rows)
    submitted = {a: len([r for r in rows if r.assignment == a and r.submitted]) for a in cells}
    everyone = {a: len([r for r in rows if r.assignment == a]) for a in cells}
    console.print(table("per assignment: total scores", ["assignment", "points", "submitted", "mean", "median",
                                                         "full marks", "zero", "hand grading left"],
                        [(s.assignment, points(s.max_score), f"{submitted[s.assignment]} of {everyone[s.assignment]}",
                          number(s.mean), number(s.median), share(s.full), share(s.zero), s.ungraded or "")
                         for s in totals],
                        right=["points", "submitted", "mean", "median", "full marks", "zero", "hand grading left"]))
    if not args.no_plots:
        folder = args.output or course.root / "grader" / "report"
        for written in (report.plot_totals(rows, folder / "scores.png"),
                        report.plot_exercises(exercises, folder / "exercises.png")):
            console.print(f"plot: {written}")
    return 0
