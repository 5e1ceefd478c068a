"""Lesson 07 (the lecture's questions): the numbers its text states, checked against convlib.

The generic lesson tests (tests/test_lessons.py) run its code and grade it; what they cannot
reach is the prose: the worked examples written out in markdown, in the mark schemes and in
the docstrings of the answers. Each is read off the source notebook and recomputed here.
"""

from __future__ import annotations

import ast
import doctest
import re

import numpy as np
import pytest

import convlib
from convlib import counting
from tests.lessons import Lesson, cells_by_id

LESSON = Lesson("07_review", "review")


def text(*cell_ids: str) -> str:
    cells = cells_by_id(LESSON.source) | {c.id: c for c in LESSON.source.cells}
    return "\n".join(cells[i].source for i in cell_ids)


def bmatrices(source: str) -> list[np.ndarray]:
    """Every LaTeX ``bmatrix`` of ``source``, as an array."""
    found = re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", source, re.S)
    return [np.array([[float(v) for v in row.split("&")] for row in m.split(r"\\")]) for m in found]


def literal(source: str, before: str) -> np.ndarray:
    """The nested list written right after ``before`` in ``source``, as an array."""
    start = source.index(before) + len(before)
    depth = 0
    for end, char in enumerate(source[start:], start):  # to the bracket that closes the first one
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0:
            return np.array(ast.literal_eval(source[start:end + 1]), dtype=float)
    raise ValueError(f"no closed list after {before!r}")


def transpose(x, w, stride=1, padding=0) -> np.ndarray:
    return convlib.conv_transpose2d(x[None, None], w[None, None], stride=stride, padding=padding)[0, 0]


def test_the_lecture_example_counts():
    """Section 1 and Exercise 2's mark scheme: 4,800 + 49,152 = 53,952 against 1,228,800, about 23 times fewer."""
    source = text("s1-code", "why_separable")
    depthwise = counting.depthwise_mult_adds(3, (5, 5), (8, 8))
    pointwise = counting.pointwise_mult_adds(3, 256, (8, 8))
    ordinary = counting.conv_mult_adds(3, 256, (5, 5), (8, 8))
    assert f"{depthwise:,} + {pointwise:,} = {depthwise + pointwise:,} against {ordinary:,}" in source
    assert f"{ordinary / (depthwise + pointwise):.0f} times fewer" in source  # 22.8
    assert f"{(depthwise + pointwise) / ordinary:.1%}".replace("%", " %") in source  # 4.4 %


def test_eight_to_nine_times_fewer_for_3x3_kernels():
    """'8 to 9 times fewer for 3×3 kernels and hundreds of channels' (section 1, its summary, the mark scheme)."""
    assert "8 to 9 times fewer" in text("s1-summary", "why_separable")
    for c_out in range(100, 1025):
        assert 8 < 1 / counting.depthwise_separable_ratio(c_out, (3, 3)) < 9


def test_the_separable_parameters_in_the_comment():
    """'3*25 + 3*256 = 843 against 3*25*256 = 19,200' in section 1's code."""
    assert "(3*25 + 3*256 = 843 against 3*25*256 = 19,200)" in text("s1-code")
    assert counting.depthwise_separable_params(3, 256, (5, 5)) == 843
    assert counting.conv_params(3, 256, (5, 5)) == 19_200


def test_the_shapes_of_exercise_4s_model_answer():
    """The 2x6x7x7 volume and 3x3x3 kernels of section 2: (4, 4, 5, 5) in 3D, (4, 5, 5) over the slices."""
    source = text("conv2d_vs_conv3d")
    x = np.zeros((2, 6, 7, 7))
    in_3d = convlib.conv3d(x, np.zeros((4, 2, 3, 3, 3))).shape
    over_slices = convlib.conv2d(x.reshape(12, 7, 7), np.zeros((4, 12, 3, 3))).shape
    assert f"3x3x3 kernels, {in_3d}" in source
    assert f"the depth is gone from the output, {over_slices}" in source


def test_the_2x2_example_worked_by_hand():
    """Section 3's four copies of the kernel, their sum, and the lecture's flipped-kernel windows."""
    source = text("s3-idea")
    x = literal(source, "`x = ")
    w = literal(source, "`w = ")
    copies, total = bmatrices(source)[:4], bmatrices(source)[4]
    for (i, j), copy in zip(np.ndindex(2, 2), copies, strict=True):
        placed = np.zeros((3, 3))
        placed[i:i + 2, j:j + 2] = x[i, j] * w
        assert np.array_equal(copy, placed), (i, j)
    assert np.array_equal(total, transpose(x, w))
    assert "The centre gets all four copies: `4 + 6 + 6 + 4 = 20`" in source
    # The lecture's way: z = 0, p' = 1, the flipped kernel; the windows named in the text.
    params = convlib.zero_insertion_params(2, 2)
    assert (params.z, params.p_before) == (0, 1)
    flipped = literal(source, "flipped kernel `")
    assert np.array_equal(flipped, w[::-1, ::-1])
    padded = convlib.zero_insert_and_pad(x[None], 2)[0]  # (4, 4)
    assert np.array_equal(padded[:2, :2], literal(source, "top-left window `"))
    assert np.array_equal(padded[1:3, 1:3], literal(source, "centre window `"))
    assert np.sum(padded[:2, :2] * flipped) == total[0, 0] == 1
    assert np.sum(padded[1:3, 1:3] * flipped) == total[1, 1] == 20


def test_the_example_of_exercise_6s_model_answer():
    """x = [[1, 0], [2, 1]], w = ones at s = 2: o = 4 and the y written in the mark scheme."""
    source = text("how_transposed")
    x, w = literal(source, "For x = "), literal(source, "and w = ")
    assert "s = 2, p = 0" in source and "o = 2 + 2 = 4" in source
    assert np.array_equal(literal(source, "and y = "), transpose(x, w, stride=2))


@pytest.mark.parametrize("name", list(LESSON.exercises))
def test_solution_docstring_examples(name):
    """The Examples of each answer's docstring hold for its solution."""
    namespace = {"np": np}
    exec(cells_by_id(LESSON.source)[name].source, namespace)
    function = namespace[name]
    tests = doctest.DocTestFinder().find(function, name, globs=namespace)
    assert sum(len(t.examples) for t in tests) >= 1, f"{name} has an example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
