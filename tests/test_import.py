"""``import convlib`` stays light: numpy only, never torch, ipywidgets or matplotlib. Checked in a fresh
interpreter, so nothing is cached. (How long it takes is measured by ``make bench``, not here: a timed
test fails on a busy machine and proves nothing on a quiet one.)"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "ipywidgets", "matplotlib")

PROBE = """
import json, sys
import convlib
print(json.dumps({"loaded": sorted(m.split(".")[0] for m in sys.modules)}))
"""


def fresh_import():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def loaded():
    return fresh_import()["loaded"]


@pytest.mark.parametrize("module", HEAVY)
def test_import_does_not_load(loaded, module):
    assert module not in loaded, f"import convlib loaded {module}"
