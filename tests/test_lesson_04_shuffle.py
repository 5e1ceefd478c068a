"""What lesson 04_shuffle states in its text, checked against convlib.

tests/test_lessons.py runs the lesson's cells and grades them; these are the claims its
markdown makes in words and numbers, which no cell asserts. (The complexities of its
section 4, 137, 292 and 524 MFLOPs, are pinned in tests/test_models.py and test_tables.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlib
from convlib import models
from convlib.counting import conv_mult_adds, layer_report


def seen(c: int, g: int, shuffle: bool) -> np.ndarray:
    """seen[n, o]: input channel n reaches output o of two grouped 1x1 layers (one-hot images through convlib)."""
    x = np.eye(c).reshape(c, c, 1, 1)  # (N=C, C, 1, 1)
    w = np.ones((c, c // g, 1, 1))
    h = convlib.conv2d(x, w, groups=g)
    if shuffle:
        h = convlib.channel_shuffle(h, g)
    return convlib.conv2d(h, w, groups=g)[:, :, 0, 0] != 0  # (C_in, C_out)


@pytest.mark.parametrize("c", range(1, 17))
def test_with_the_shuffle_an_output_sees_min_g_and_c_over_g_groups(c):
    """Section 2: without the shuffle an output sees its own group; with it, min(g, C/g) whole groups."""
    for g in [g for g in range(1, c + 1) if c % g == 0]:
        n = c // g
        plain, shuffled = seen(c, g, False), seen(c, g, True)
        for o in range(c):
            assert list(np.flatnonzero(plain[:, o])) == list(range(o // n * n, (o // n + 1) * n))
            groups = {int(i) // n for i in np.flatnonzero(shuffled[:, o])}
            assert len(groups) == min(g, n), (c, g, o)
            assert shuffled[:, o].sum() == min(g, n) * n  # whole groups: every channel of a group it reaches


def test_shufflenet_unit_costs_as_the_papers_formula_says():
    """Section 3: for c = 240, m = 60, g = 3 at 28x28, the unit costs 7.9 million multiply-adds (the paper's
    hw(2cm/g + 9m)) against 48.0 million for ResNet's bottleneck, hw(2cm + 9m^2); its 1x1 layers are 94.7%."""
    c, m, g, h, w = 240, 60, 3, 28, 28
    with torch.device("meta"):
        unit = models.ShuffleUnit(c, c, groups=g)
    report = layer_report(unit, (1, c, h, w))
    assert report.total_mult_adds == h * w * (2 * c * m // g + 9 * m) == 7_949_760
    resnet = conv_mult_adds(c, m, 1, (h, w)) + conv_mult_adds(m, m, 3, (h, w)) + conv_mult_adds(m, c, 1, (h, w))
    assert resnet == h * w * (2 * c * m + 9 * m * m) == 47_980_800
    assert (round(report.total_mult_adds / 1e6, 1), round(resnet / 1e6, 1)) == (7.9, 48.0)
    pointwise = sum(r.mult_adds for r in report.rows if r.layer in ("compress.conv", "expand.conv"))
    assert round(pointwise / report.total_mult_adds, 3) == 0.947
