"""``import convlib`` stays light: numpy only, fast enough to be imported in every notebook cell
without the student noticing. Measured in a fresh interpreter, so nothing is cached."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "ipywidgets", "matplotlib")
BUDGET_SECONDS = 0.3

PROBE = """
import json, sys, time
start = time.perf_counter()
import convlib
elapsed = time.perf_counter() - start
print(json.dumps({"elapsed": elapsed, "loaded": sorted(m.split(".")[0] for m in sys.modules)}))
"""


def fresh_import():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def probes():
    return [fresh_import() for _ in range(3)]


@pytest.mark.parametrize("module", HEAVY)
def test_import_does_not_load(probes, module):
    assert module not in probes[0]["loaded"], f"import convlib loaded {module}"


def test_import_is_fast(probes):
    best = min(p["elapsed"] for p in probes)
    assert best < BUDGET_SECONDS, f"import convlib took {best:.3f} s (best of 3), budget {BUDGET_SECONDS} s"
