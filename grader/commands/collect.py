"""Bring the submissions of an assignment in, to grader/submitted/<student>/<assignment>/.

From the nbgrader exchange (nbgrader collect): what the students sent with
`nbgrader submit` or the Assignments tab; the latest submission of each student.

From a download (--from): a zip or a folder, as a learning management system or your
mail gives them, run through nbgrader's zip_collect. Whose each file is comes from its
name, by --lms (a layout the course knows) or --pattern (your own regular expression):

  --lms folders   <student>/<notebook>.ipynb, one folder per student (the default)
  --lms moodle    Moodle's "Download all submissions":
                  Ivan Petrov_1234567_assignsubmission_file_/convolution.ipynb -> student ivan_petrov
  --lms canvas    Canvas's "Download Submissions":
                  petrovivan_12345_678901_convolution.ipynb -> student petrovivan
  --pattern RE    a regular expression matched against the end of each file's path, with
                  (?P<student_id>...) and (?P<file_id>...) groups (nbgrader's named_regexp;
                  first_name, last_name, email and timestamp groups are optional)

Collecting again replaces a student's earlier files of that assignment. Students not yet
in the gradebook are added (with their names, when the file names give them). Every file
that is not collected is listed with the reason; none is dropped silently.

examples:
  python -m grader collect 01_convolution
  python -m grader collect 01_convolution --from ~/Downloads/submissions.zip --lms moodle
  python -m grader collect 01_convolution --from ./mail --pattern '(?P<student_id>\\w+)_(?P<file_id>\\w+\\.ipynb)'
"""

from __future__ import annotations

import shutil

from grader.cli import path

ORDER = 20  # place in `python -m grader --help`: the workflow's order
HELP = "bring the submissions in: from the exchange, a folder, or an LMS zip"


def add_arguments(parser) -> None:
    from grader.lms import PATTERNS

    parser.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment the submissions are for")
    parser.add_argument("--from", dest="source", type=path, metavar="ZIP_OR_FOLDER",
                        help="collect from this download instead of the exchange")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--lms", choices=sorted(PATTERNS), help="how the download names its files (default: folders)")
    how.add_argument("--pattern", metavar="REGEX", help="your own file-name pattern (see above)")


def run(args, course) -> int:
    from grader.course import CourseError
    from grader.progress import console

    assignment = course.check_assignments([args.assignment])[0]
    if (args.lms or args.pattern) and args.source is None:
        raise CourseError("--lms and --pattern describe a download: give it with --from")
    if args.source is None:
        collected, missed = from_exchange(course, assignment)
    else:
        if not args.source.exists():
            raise CourseError(f"--from {args.source}: no such file or folder")
        collected, missed = from_download(course, assignment, args.source, args.pattern, args.lms or "folders")
    added = add_students(course, collected)
    show(console, assignment, collected, missed, added)
    return 0


def from_exchange(course, assignment: str):
    """``nbgrader collect`` (newest submission of each student); returns (collected files, not collected)."""
    from grader.course import failure
    from grader.lms import File

    before = {s: _stamp(course, s, assignment) for s in course.submissions(assignment)}
    result = course.api.collect(assignment, update=True)
    if not result["success"]:
        raise failure(f"nbgrader collect {assignment}", result)
    collected = [File(f"{s}: submitted {_stamp(course, s, assignment)}", s, "")
                 for s in course.submissions(assignment) if before.get(s) != _stamp(course, s, assignment)]
    return collected, []


def _stamp(course, student: str, assignment: str) -> str:
    stamp = course.path("submitted", student, assignment, "timestamp.txt")
    return stamp.read_text().strip() if stamp.is_file() else ""


def from_download(course, assignment: str, source, pattern: str | None, lms: str):
    """nbgrader's zip_collect on a copy of ``source``; returns (collected files, not collected)."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.utils import capture_log
    from traitlets.config import Config

    from grader.course import CourseError, failure
    from grader.lms import PATTERNS

    regexp = pattern or PATTERNS[lms]
    app = ZipCollectApp()
    # nbgrader's log would repeat, line by line, what the tables below say
    app.initialize([*course.nbgrader_argv(), assignment, "--force", "--collector=grader.collector.Collector",
                    "--log-level=ERROR"])
    archive = course.root / app._format_collect_path(app.archive_directory)
    if archive.exists():
        shutil.rmtree(archive)
    archive.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, archive, dirs_exist_ok=True)
    else:
        shutil.copy(source, archive / source.name)
    own = {f"{n}.ipynb": True for n in course.notebooks(assignment)}
    others = {f"{n}.ipynb": a for a in course.assignments() if a != assignment for n in course.notebooks(a)}
    config = Config()
    config.Collector.named_regexp = regexp
    config.Collector.notebooks = own
    config.Collector.elsewhere = others
    app.update_config(config)
    try:
        result = capture_log(app)
    except SystemExit:  # ZipCollectApp.fail
        result = {"success": False}
    files = app.collector_plugin_inst.files if app.collector_plugin_inst is not None else None
    if not result["success"]:
        raise failure(f"nbgrader zip_collect {assignment}", result)
    if files is None:
        raise CourseError(f"--from {source}: no files in it")
    return [f for f in files if not f.problem], [f for f in files if f.problem]


def add_students(course, collected) -> list[str]:
    """Put the students of ``collected`` into the gradebook if missing, with the names the files give.

    Names already in the gradebook are kept (a class list imported by the teacher wins).
    """
    from nbgrader.api import MissingEntry

    added = []
    with course.gradebook() as gb:
        for f in {f.student: f for f in collected}.values():
            names = {k: getattr(f, k) for k in ("first_name", "last_name", "email") if getattr(f, k)}
            try:
                student = gb.find_student(f.student)
            except MissingEntry:
                gb.add_student(f.student, **names)
                added.append(f.student)
                continue
            missing = {k: v for k, v in names.items() if not getattr(student, k)}
            if missing:
                gb.update_or_create_student(f.student, **missing)
    return added


def show(console, assignment: str, collected, missed, added: list[str]) -> None:
    from grader.progress import table

    rows = [(f.student, f.notebook or "", f.path, "yes" if f.student in added else "") for f in collected]
    console.print(table(f"collected for {assignment}: {len({f.student for f in collected})} student(s)",
                        ["student", "notebook", "from", "new in gradebook"], rows))
    if missed:
        console.print(table(f"[red]not collected: {len(missed)} file(s)[/red]", ["file", "why"],
                            [(f.path, f.problem) for f in missed]))
