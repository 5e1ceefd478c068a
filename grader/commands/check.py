"""Check the assignments before releasing them: the solutions score full marks, the students' copies 0.

In a temporary copy of the course (its own gradebook; nothing here is touched), each
assignment is generated with nbgrader, then two submissions are autograded exactly as the
students' will be: the source notebook with its solutions, and the students' copy as
released, untouched. The first must get every autograded point, the second none; points
for written answers are graded by hand and left out of both.

examples:
  python -m grader check
  python -m grader check 01_convolution --jobs 2
"""

from __future__ import annotations

import os

ORDER = 60  # place in `python -m grader --help`: after the workflow, for whoever writes the lessons
HELP = "the solutions score full marks and the students' copies 0, per assignment"
STUDENTS = {"solution": "source", "students-copy": "release"}  # submission -> the folder its notebooks come from


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="the assignments to check (default: every one in solutions/)")
    parser.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                        help="submissions graded at once (default: %(default)s)")


def run(args, course) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from grader import runner
    from grader.course import Course, failure
    from grader.progress import bar, console, points, table

    names = course.check_assignments(args.assignments)
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        for name in names:
            shutil.copytree(course.path("source", name), Path(tmp) / "solutions" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        trial = Course(Path(tmp))
        with bar("generate", len(names)) as progress:
            for name in names:
                result = trial.api.generate_assignment(name, force=True, create=True)
                if not result["success"]:
                    raise failure(f"nbgrader generate_assignment {name}", result)
                progress.advance()
        for name in names:
            for student, kind in STUDENTS.items():
                shutil.copytree(trial.path(kind, name), trial.path("submitted", student, name))
        todo = [(name, student) for name in names for student in STUDENTS]
        with bar(f"autograde ({args.jobs} at a time)", len(todo)) as progress:
            outcomes = runner.autograde(trial, todo, jobs=args.jobs, on_outcome=lambda o: progress.advance())
        failed = {(o.assignment, o.student): o.problem for o in outcomes if o.status == "failed"}
        rows, bad = [], 0
        with trial.gradebook() as gb:
            for name in names:
                auto, written = _points(gb, name)
                solution = gb.find_submission(name, "solution").score
                blank = gb.find_submission(name, "students-copy").score
                problems = [f"solution {points(solution)} of {points(auto)}" if solution != auto else "",
                            f"students' copy {points(blank)}, not 0" if blank != 0 else "",
                            *(f"{s}: {failed[(name, s)]}" for s in STUDENTS if (name, s) in failed)]
                problems = [p for p in problems if p]
                bad += bool(problems)
                rows.append((name, points(auto), points(written), points(solution), points(blank),
                             "; ".join(problems) or "ok"))
    console.print(table("check: the solution must get every autograded point, the students' copy none",
                        ["assignment", "points", "by hand", "solution", "students' copy", "result"], rows,
                        right=["points", "by hand", "solution", "students' copy"]))
    return 1 if bad else 0


def _points(gb, assignment: str) -> tuple[float, float]:
    """(autograded points, points of written answers graded by hand) of ``assignment``."""
    auto = written = 0.0
    for notebook in gb.find_assignment(assignment).notebooks:
        solutions = {c.name for c in notebook.solution_cells}
        for cell in notebook.grade_cells:
            if cell.name in solutions:
                written += cell.max_score
            else:
                auto += cell.max_score
        written += sum(cell.max_score for cell in notebook.task_cells)  # answers marked against a mark scheme
    return auto, written
