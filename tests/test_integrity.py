"""The integrity report's reading of a student's code (grader/integrity.py): what it flags, and what it leaves."""

from __future__ import annotations

import pytest

from grader.integrity import Finding, folder_findings, references_of_functions, scan, table


def kinds(source: str) -> list[tuple[str, int]]:
    return [(f.kind, f.line) for f in scan(source, 7)]


@pytest.mark.parametrize(("source", "expected"), [
    ("import convlib", [("reference", 1)]),
    ("from torch.nn import functional as F", [("reference", 1)]),
    ("x = 1\ny = np.convolve(a, b)", [("reference", 2)]),
    ("import grader.checks as gc", [("tampering", 1)]),
    ("def check_array(*a):\n    pass", [("tampering", 1)]),
    ("call = lambda *a: None", [("tampering", 1)]),
    ("np.allclose = lambda *a, **k: True", [("tampering", 1)]),
    ("get_ipython().showtraceback = None", [("tampering", 1), ("tampering", 1)]),
    ("import os\nos._exit(0)", [("process", 2), ("process", 2)]),
    ("import subprocess", [("process", 1)]),
    ("open('../../../solutions/01/x.ipynb')", [("files", 1)]),
    ("print('✓ passed, 10/10')", [("output", 1)]),
    ("while True:\n    pass", [("runtime", 1)]),
    ("f = getattr(np, 'convolve')", [("reference", 1)]),
    ("def f(:", [("code", 1)]),
])
def test_what_a_cell_reaches_for(source, expected):
    assert sorted(kinds(source)) == sorted(expected)


@pytest.mark.parametrize("source", [
    "def conv2d(x, w):\n    out = np.zeros((2, 2))\n    for i in range(2):\n        out[i] = np.sum(x[i] * w)\n"
    "    return out",
    "import numpy as np\nxp = np.pad(x, 1)\nwhile i < 3:\n    i += 1",
    "%timeit conv2d(x, w)\nprint('the window is', window)",
    "def correlate_rows(a):\n    return a",  # a name of the student's own is not a reference
])
def test_honest_code_is_not_flagged(source):
    assert scan(source, 0) == []


def test_references_are_traced_through_the_students_own_helpers():
    sources = ["import numpy as np\ndef rows(x, w):\n    return np.correlate(x, w, 'valid')",
               "def conv2d_single(x, w):\n    return rows(x[0], w[0])",
               "import convlib as c\ndef output_size(i, k):\n    return c.conv_output_size(i, k)",
               "def honest(x):\n    return x * 2"]
    assert references_of_functions(sources) == {"rows": "numpy.correlate", "conv2d_single": "numpy.correlate",
                                                "output_size": "convlib"}


def test_a_folder_that_cannot_be_graded_says_why(tmp_path):
    (tmp_path / "convolution_final.ipynb").write_text("{}")
    (tmp_path / "other.ipynb").write_text("not json")
    found = [f.what for f in folder_findings(tmp_path, ["convolution", "other"])]
    assert found == ["convolution.ipynb was not submitted: it scores 0",
                     "other.ipynb is not a notebook that can be read (NotJSONError): it scores 0",
                     "convolution_final.ipynb is not part of the assignment: not graded"]


def test_the_table_has_one_row_per_finding():
    reports = [{"student": "a", "findings": [{"kind": "reference", "cell": 3, "line": 2, "what": "imports torch"}]},
               {"student": "b", "findings": []}]
    assert table(reports, {"a": (4.0, 10.0)}) == [
        ("a", "4/10", "reference", "[reference] cell 3, line 2: imports torch")]
    assert str(Finding("runtime", 5, 0, "hung")) == "[runtime] cell 5: hung"
