"""nbgrader finds the course's configuration the way `make lab` and the grading commands run it."""

import json
import os
import shutil
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


EXCHANGE_PROBE = """
import json, os, stat
from nbgrader.apps.api import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader
app = NbGrader()
app.load_config_file()
api = NbGraderAPI(config=app.config)
print(json.dumps({"root": api.exchange_root, "missing": api.exchange_missing,
                  "mode": stat.S_IMODE(os.stat(api.exchange_root).st_mode)}))
"""


def test_the_exchange_is_there_for_formgrader_on_a_fresh_clone(tmp_path):
    """nbgrader's exchange (grader/exchange, git-ignored) exists, world-writable as nbgrader's release makes
    it, as soon as the configuration is read: Formgrader's page no longer warns that it "does not exist and
    could not be created", and its release and collect work. Run on a copy of the configuration in an empty
    folder, as a fresh clone is."""
    (tmp_path / "grader").mkdir()
    shutil.copy(ROOT / "grader" / "nbgrader_config.py", tmp_path / "grader")
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(tmp_path / "grader")}
    for _ in range(2):  # made the first time, found the second
        result = subprocess.run([sys.executable, "-c", EXCHANGE_PROBE], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120, check=True)
        found = json.loads(result.stdout.strip().splitlines()[-1])
        assert found == {"root": str(tmp_path / "grader" / "exchange"), "missing": False, "mode": 0o777}
