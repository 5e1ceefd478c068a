"""nbgrader finds the course's configuration the way `make lab` and the grading commands run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
from nbgrader.apps.baseapp import NbGrader
from nbgrader.coursedir import CourseDirectory
app = NbGrader()
app.load_config_file()
course = CourseDirectory(config=app.config)
print(json.dumps({"root": course.root, "source": course.source_directory,
                  "release": course.release_directory, "course_id": course.course_id}))
"""


def test_nbgrader_reads_grader_config_through_jupyter_config_path(tmp_path):
    """Run from an unrelated folder, so that only JUPYTER_CONFIG_PATH (as the Makefile sets it) can find it."""
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(ROOT / "grader")}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config == {"root": str(ROOT), "source": "solutions", "release": "notebooks",
                      "course_id": "convolutions"}


def test_make_exports_the_grader_config_to_its_commands():
    """What `make lab` and `make release` hand to Jupyter and nbgrader, read from make itself, not its text."""
    show = "show-config: ; @echo $$JUPYTER_CONFIG_PATH"  # a throwaway target: the recipe sees make's exports
    result = subprocess.run(["make", "--no-print-directory", "-s", "--eval", show, "show-config"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == str(ROOT / "grader")
