"""nbgrader's configuration for the course.

Found through JUPYTER_CONFIG_PATH=grader (the Makefile sets it), so that
`make lab` and every nbgrader command agree on where things are:

    solutions/<assignment>/<notebook>.ipynb   source: solutions and hidden tests (instructors)
    notebooks/<assignment>/<notebook>.ipynb   release: generated student copies
    grader/submitted, autograded, feedback    the grading workflow's folders (not committed)
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

ROOT = Path(__file__).resolve().parent.parent
GRADER = ROOT / "grader"

c.CourseDirectory.course_id = "convolutions"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "grader/submitted"
c.CourseDirectory.autograded_directory = "grader/autograded"
c.CourseDirectory.feedback_directory = "grader/feedback"
c.CourseDirectory.db_url = f"sqlite:///{GRADER / 'gradebook.db'}"
# The exchange, where a teacher releases assignments and collects submissions (git-ignored). nbgrader
# wants it to exist, readable and writable by everyone (students submit into it), and the Formgrader
# page refuses release and collect until it does: made here, so that `make lab`, Formgrader and every
# nbgrader command find it on a fresh clone, with the permissions nbgrader's release sets.
EXCHANGE = GRADER / "exchange"
try:
    EXCHANGE.mkdir()
except FileExistsError:  # made before (or by a process loading this file at the same moment)
    pass
else:
    EXCHANGE.chmod(0o777)  # after mkdir, whose mode the umask would narrow
c.Exchange.root = str(EXCHANGE)

# Student notebooks carry no outputs, and the autograder gives every cell time
# for a 2-core machine but never hangs on a broken submission.
c.ClearOutput.enabled = True
c.ExecutePreprocessor.timeout = 120
# Stop a graded notebook's kernel at once when its last cell is done: the graceful stop waits
# 1-3 s per notebook for the kernel to exit by itself, and grading needs nothing from it.
c.ExecutePreprocessor.shutdown_kernel = "immediate"
# A student who deletes a graded cell gets it back, graded automatically (0 for
# that cell), instead of a submission held for manual grading.
c.OverwriteCells.add_missing_cells = True

# Autograde runs the student's cells in a sandboxed kernel and the graded cells in the grader's own
# process, where the student's code cannot reach the verdict (grader/verdict.py). The rest of
# nbgrader's autograde steps are its own, in its own order. Preprocessors are named as strings,
# imported when nbgrader runs them: importing grader here would fail in a copy of the course
# whose own grader/ folder shadows the package on sys.path, and lose this whole file.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    # A copied graded cell is graded once instead of failing the whole notebook (nbgrader #1083).
    "grader.verdict.DeduplicateGradeIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.autograde_preprocessors = [
    "grader.verdict.TrustedExecute",
    "nbgrader.preprocessors.IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties", "nbgrader.preprocessors.CheckCellMetadata"]

# Feedback shows each graded cell's result, points and message, never what the student must not
# see: the hidden tests (nbgrader #917, #1363), the mark schemes that autograde restored with the
# task cells, nor a traceback (nbgrader's ClearHiddenTests and ClearMarkScheme, grader/feedback.py).
c.GenerateFeedback.preprocessors = [
    "grader.feedback.GetGrades", "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "grader.feedback.ShortErrors", "grader.feedback.ResultsTable",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

# Downloads from a learning management system (`python -m grader collect --from`, nbgrader
# zip_collect) are unpacked under grader/downloaded/ rather than at the top of the course.
c.ZipCollectApp.downloaded_directory = "grader/downloaded"
