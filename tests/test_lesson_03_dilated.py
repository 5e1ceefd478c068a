"""Lesson 03 (dilated convolution): what its text states, checked against convlib.

The generic lesson tests (tests/test_lessons.py) run the notebook and its graded cells; these check the
numbers its markdown states in words, and that its photograph is a file of the installed matplotlib.
"""

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib import cbook, image

import convlib
from tests.lessons import ROOT, read

NOTEBOOK = ROOT / "solutions" / "03_dilated" / "dilated.ipynb"


@pytest.fixture(scope="module")
def text() -> str:
    """The notebook's markdown, with every run of whitespace (line breaks included) made one space."""
    return " ".join(" ".join(c.source for c in read(NOTEBOOK).cells if c.cell_type == "markdown").split())


def fields(dilations, k=3):
    return convlib.receptive_fields([(k, 1, d) for d in dilations])


def paths(dilations, k):
    """How many paths lead from each input of the field to the top output of a stride-1 1D stack of ones.

    A one-hot grown by a full convolution (padding d(k - 1)) per layer: its r values count the paths.
    """
    x = np.ones((1, 1, 1))  # (N=1, C=1, L=1)
    for d in dilations:
        x = convlib.conv1d(x, np.ones((1, 1, k)), dilation=d, padding=d * (k - 1))  # L grows by d(k - 1)
    return x[0, 0]


def test_exponential_against_linear(text):
    dilated, plain = fields((1, 2, 4, 8)), fields((1, 1, 1, 1))
    assert ", ".join(map(str, dilated)) + "` for dilations `1, 2, 4, 8`" in text
    assert "`" + ", ".join(map(str, plain)) + "` without" in text
    # 2^(L+1) - 1 and 2L + 1, as the text derives them
    assert dilated == [2 ** (n + 2) - 1 for n in range(4)] and plain == [2 * n + 3 for n in range(4)]


def test_context_module(text):
    r = fields((1, 1, 2, 4, 8, 16, 1))[-1]
    plain_layers = next(n for n in range(1, 100) if fields((1,) * n)[-1] >= r)
    assert f"reaches `{r} × {r}` with 7 layers; plain `3 × 3` layers would need {plain_layers}" in text


def test_fields_of_the_photograph_section(text):
    four, six = fields((1, 2, 4, 8))[-1], fields((1, 2, 4, 8, 16, 32))[-1]
    plain_four, plain_six = fields((1,) * 4)[-1], fields((1,) * 6)[-1]
    strided = convlib.receptive_field([(3, 2, 1)] * 4)
    assert strided == four
    for r in (four, six, plain_four, plain_six):
        assert f"`{r} × {r}`" in text
    assert f"4 layers see `{four} × {four}` instead of `{plain_four} × {plain_four}`, 6 layers " \
           f"`{six} × {six}` instead of `{plain_six} × {plain_six}`" in text
    assert f"the same {4 * 9} weights" in text and f"with {6 * 9} weights" in text


def test_the_stride_2_stack_shrinks_the_photograph(text):
    size = (600, 512)
    for _ in range(4):
        size = tuple(convlib.conv_output_size(i, 3, stride=2, padding=1) for i in size)
    assert f"along each axis ({size[0]} × {size[1]})" in text


def test_the_dilated_5x5_kernel(text):
    wide = convlib.dilate_kernel(np.ones((1, 1, 3, 3)), 2)
    assert f"has {wide.size} entries, but {wide.size - np.count_nonzero(wide)} of them are the zeros" in text


@pytest.mark.parametrize(("k", "d"), [(3, 3), (2, 2)])
def test_try_it_every_input_through_exactly_one_path(text, k, d):
    """The Try it of section 2: k = 3, d = 3 and k = 2, d = 2 cover their field, each input by one path."""
    dilations = tuple(d ** n for n in range(4))
    counts = paths(dilations, k)
    assert len(counts) == convlib.receptive_field([(k, 1, x) for x in dilations])
    assert set(counts) == {1.0}
    assert "through exactly one path" in text


def test_no_holes_while_each_dilation_is_within_the_field_below(text):
    """Section 2: at stride 1 the field has no holes if d_l <= r_{l-1} at every layer; its gridding examples."""
    assert "the field has no holes if `d_l ≤ r_{l-1}` at every layer" in text
    rng = np.random.default_rng(0)
    for _ in range(100):
        k, r, dilations = int(rng.integers(2, 5)), 1, []
        for _ in range(rng.integers(1, 5)):
            dilations.append(int(rng.integers(1, r + 1)))  # any d_l <= r_{l-1}
            r = fields(dilations, k)[-1]
        assert (paths(dilations, k) > 0).all(), (k, dilations)
    assert "dilations 2, 2, 2 or 2, 4, 8 skip every other input" in text
    for dilations in [(2, 2, 2), (2, 4, 8)]:
        np.testing.assert_array_equal(paths(dilations, 3)[1::2], 0)
        assert (paths(dilations, 3)[::2] > 0).all()


def test_the_photograph_ships_with_matplotlib():
    """get_sample_data opens a file of the installed package: the lesson needs no network."""
    path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    assert path.is_file() and path.is_relative_to(Path(matplotlib.get_data_path()))
    assert image.imread(path).shape == (600, 512, 3)
