"""Write the grades as two CSV files, for a spreadsheet or an LMS import.

  grades.csv        one row per student and assignment: submitted or not, when, the score
                    (late penalty applied) and the maximum, and one column per graded cell
                    with its points
  grades_wide.csv   one row per student: one column per assignment with its score, and the total

Every student in the gradebook is there; one who submitted nothing scores 0. The same
files come from nbgrader's own command: `nbgrader export --exporter=grader.export.CellsExportPlugin`
(and WideExportPlugin).

examples:
  python -m grader export                        into grader/export/
  python -m grader export --output ~/grades 01_convolution
"""

from __future__ import annotations

from grader.cli import path

ORDER = 50  # place in `python -m grader --help`: the workflow's order
HELP = "the grades as CSV: per graded cell, and students x assignments"


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="only these (default: every one)")
    parser.add_argument("--output", "-o", type=path, metavar="DIR", help="where to write (default: grader/export)")


def run(args, course) -> int:
    from grader import export
    from grader.course import CourseError
    from grader.progress import console

    if course.db_path is not None and not course.db_path.is_file():
        raise CourseError(f"no gradebook at {course.db_path}: run `python -m grader release` first")
    names = course.check_assignments(args.assignments) if args.assignments else None
    folder = args.output or course.root / "grader" / "export"
    folder.mkdir(parents=True, exist_ok=True)
    with course.gradebook() as gb:
        rows = export.write_cells(gb, folder / "grades.csv", names, source_dir=course.path("source"))
        students = export.write_wide(gb, folder / "grades_wide.csv", names)
    console.print(f"{folder / 'grades.csv'}: {rows} rows (student x assignment), every graded cell's points")
    console.print(f"{folder / 'grades_wide.csv'}: {students} students x assignments, and the total")
    return 0
