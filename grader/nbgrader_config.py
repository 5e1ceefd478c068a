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
# A student who deletes a graded cell gets it back, graded automatically (0 for
# that cell), instead of a submission held for manual grading.
c.OverwriteCells.add_missing_cells = True

# Autograde runs the student's cells in a sandboxed kernel and the graded cells in the grader's own
# process, where the student's code cannot reach the verdict (grader/verdict.py). The rest of
# nbgrader's autograde steps are its own, in its own order.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from grader.verdict import DeduplicateGradeIds, TrustedExecute  # noqa: E402

# A copied graded cell is graded once instead of failing the whole notebook (nbgrader #1083).
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateGradeIds, OverwriteKernelspec, OverwriteCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# Feedback shows each graded cell's verdict, never what the student must not see: the hidden tests
# (nbgrader #917, #1363) and the mark schemes that autograde restored with the task cells.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, ClearMarkScheme, CSSHTMLHeaderPreprocessor]
