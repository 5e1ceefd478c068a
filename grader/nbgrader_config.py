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
c.Exchange.root = str(GRADER / "exchange")

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

# Feedback shows each graded cell's result, points and message, never the hidden tests
# (nbgrader #917, #1363) nor a traceback: nbgrader's ClearHiddenTests and grader/feedback.py.
# Named as strings, imported when feedback is made: importing grader here would fail in a copy
# of the course whose own grader/ folder shadows the package on sys.path, and lose this file.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades", "nbgrader.preprocessors.ClearHiddenTests",
    "grader.feedback.ShortErrors", "grader.feedback.ResultsTable",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

# Downloads from a learning management system (`python -m grader collect --from`, nbgrader
# zip_collect) are unpacked under grader/downloaded/ rather than at the top of the course.
c.ZipCollectApp.downloaded_directory = "grader/downloaded"
