"""Which submissions tried something other than solving the exercises, with the evidence.

Autograde reads every submission's code before it runs and watches it while it runs
(grader/verdict.py, grader/integrity.py); its findings are kept in
grader/integrity/<assignment>/<student>--<notebook>.json. This command lists them with
each student's score, one row per finding:

  reference   a function reaches convlib, torch's convolutions or numpy.convolve, which
              the exercise asks to write (a function that delegates fails its cells anyway)
  tampering   the code reaches for the grading itself: the checks, numpy's comparisons,
              nbgrader, the gradebook, IPython's error display, the agent's channel
  process     processes, signals, exits, sockets
  files       files of the course or of other students
  output      printed verdicts, output cut because there was too much of it
  runtime     what happened while it ran: a kernel that died or hung, a cell stopped
  cells       graded cells edited, deleted or copied; notebooks missing or extra
  code        a cell that does not parse

A finding is evidence for the teacher to read, not a verdict: the grades stand as the
graded cells gave them.

examples:
  python -m grader integrity 01_convolution
  python -m grader integrity 01_convolution --json > findings.json
"""

from __future__ import annotations

ORDER = 35  # place in `python -m grader --help`: after autograde
HELP = "which submissions tried something other than the exercises, with the evidence"


def add_arguments(parser) -> None:
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment whose graded submissions to read")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON instead of a table")


def run(args, course) -> int:
    import json

    from grader import integrity
    from grader.course import CourseError
    from grader.progress import console, table

    [assignment] = course.check_assignments([args.assignment])
    if course.db_path is not None and not course.db_path.is_file():
        raise CourseError(f"no gradebook at {course.db_path}: run `python -m grader release` first")
    scores = {}
    with course.gradebook() as gb:
        reports = integrity.collect(course.root / "grader" / "integrity", course.path("submitted"), assignment,
                                    course.notebooks(assignment))
        graded = {s.student.id: s for s in gb.find_assignment(assignment).submissions} \
            if assignment in {a.name for a in gb.assignments} else {}
        for report in reports:
            if report["student"] in graded:
                submission = graded[report["student"]]
                scores[report["student"]] = (submission.score, submission.max_score)
    if args.json:
        print(json.dumps(reports, indent=1, ensure_ascii=False))
        return 0
    if not reports:
        console.print(f"no submissions of {assignment} yet")
        return 0
    rows = integrity.table(reports, scores)
    flagged = len({row[0] for row in rows})
    title = f"integrity: {assignment}, {flagged} of {len(reports)} submissions tried something"
    console.print(table(title, ("student", "score", "kind", "evidence"), rows))
    return 0
