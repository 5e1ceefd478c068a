"""Lesson 05 (3D convolution): the figures its text and its visible graded cases state, computed again by convlib.

The generic lesson tests run the notebook; they check the visible cases only against the solution, and cannot see
numbers written in its markdown.
"""

import ast
from fractions import Fraction

import numpy as np
import pytest

import convlib
from convlib.counting import conv_mult_adds, conv_params
from tests.lessons import ROOT, cells_by_id, read

NOTEBOOK = ROOT / "solutions" / "05_conv3d" / "conv3d.ipynb"
CELLS = cells_by_id(read(NOTEBOOK))


def text(cell_id: str) -> str:
    """A markdown cell's text with its line breaks as spaces."""
    cell = next(c for c in read(NOTEBOOK).cells if c.get("id") == cell_id)
    return " ".join(cell.source.split())


def visible_cases(grade_id: str) -> list[tuple]:
    """The ``cases = [...]`` literal a graded cell opens with (its visible, hand-derived cases)."""
    tree = ast.parse(CELLS[grade_id].source)
    (cases,) = [node.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "cases"]
    return ast.literal_eval(cases)


def per_axis(value) -> tuple[int, int, int]:
    return value if isinstance(value, tuple) else (value,) * 3


def out_size(size, kernel, stride, padding) -> tuple[int, ...]:
    return tuple(convlib.conv_output_size(*axis)
                 for axis in zip(size, kernel, per_axis(stride), per_axis(padding), strict=True))


def test_slices_against_3d_example():
    """Section 3: a clip (3, 8, 32, 32) through 16 filters of 3x3 (x3 along depth for the 3D layer), padding 1."""
    stated = text("s3-idea")
    c, depth, size, c_out, k = 3, 8, 32, 16, 3
    y2 = convlib.conv2d(np.zeros((c * depth, size, size)), np.zeros((c_out, c * depth, k, k)), padding=1)
    y3 = convlib.conv3d(np.zeros((c, depth, size, size)), np.zeros((c_out, c, k, k, k)), padding=1)
    assert f"`{y2.shape}`" in stated and f"`{y3.shape}`" in stated
    weights_2d, weights_3d = conv_params(c * depth, c_out, (k, k)), conv_params(c, c_out, (k, k, k))
    mult_adds_2d = conv_mult_adds(c * depth, c_out, (k, k), y2.shape[1:])
    mult_adds_3d = conv_mult_adds(c, c_out, (k, k, k), y3.shape[1:])
    assert f"16 · 24 · 3 · 3 = {weights_2d:,} weights" in stated
    assert f"16 · 3 · 3 · 3 · 3 = {weights_3d:,} (8/3 times fewer)" in stated
    assert Fraction(weights_2d, weights_3d) == Fraction(depth, k) == Fraction(8, 3)
    assert f"with {mult_adds_2d:,} multiply-adds" in stated and f"with {mult_adds_3d:,}, three times as many" in stated
    assert Fraction(mult_adds_3d, mult_adds_2d) == Fraction(k * y3.shape[1], depth) == 3


def test_conv3d_shape_cases():
    cases = visible_cases("test_conv3d_shape")
    assert len(cases) >= 3
    for c_in, d, h, w, c_out, kd, kh, kw, s, p, shape in cases:
        got = convlib.conv3d(np.zeros((c_in, d, h, w)), np.zeros((c_out, c_in, kd, kh, kw)), stride=s, padding=p)
        assert got.shape == shape


@pytest.mark.parametrize("grade_id", ["test_output_shape_3d_ints", "test_output_shape_3d_per_axis",
                                      "test_output_shape_3d_batch"])
def test_output_shape_cases(grade_id):
    cases = visible_cases(grade_id)
    assert len(cases) >= 2
    for shape, wshape, s, p, expected, _why in cases:
        assert expected == (*shape[:-4], wshape[0], *out_size(shape[-3:], wshape[2:], s, p)), (shape, wshape, s, p)


@pytest.mark.parametrize("grade_id", ["test_mult_adds_3d_basic", "test_mult_adds_3d_stride_padding",
                                      "test_mult_adds_3d_per_axis"])
def test_mult_adds_cases(grade_id):
    cases = visible_cases(grade_id)
    assert len(cases) >= 3
    for case in cases:
        shape, wshape, *step, expected, _why = case
        s, p = step or (1, 0)
        out = out_size(shape[1:], wshape[2:], s, p)
        assert expected == conv_mult_adds(shape[0], wshape[0], wshape[2:], out), case
