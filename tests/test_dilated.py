"""Dilated convolution = an ordinary convolution with the zero-inserted kernel (section 4)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_oracle import as_tuple, assert_close, conv_cases, conv_name, random_arrays, same_as_torch

import convlib

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


def spread_by_hand(weight, dilation):
    """Zeros everywhere, the taps copied to every d-th position along each spatial axis."""
    d = as_tuple(dilation, weight.ndim - 2)
    k = weight.shape[2:]
    out = np.zeros(weight.shape[:2] + tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)))
    for taps in np.ndindex(*k):
        out[(..., *(t * dd for t, dd in zip(taps, d, strict=True)))] = weight[(..., *taps)]
    return out


DILATE_CASES = [
    pytest.param([[[1.0, 2.0, 3.0]]], 2, [[[1.0, 0.0, 2.0, 0.0, 3.0]]], id="1d-doc-example"),
    pytest.param([[[1.0, 2.0]]], 3, [[[1.0, 0.0, 0.0, 2.0]]], id="1d-two-taps-d3"),
    pytest.param([[[5.0]]], 4, [[[5.0]]], id="1-tap-kernel-unchanged"),
    pytest.param([[[1.0, 2.0, 3.0]]], 1, [[[1.0, 2.0, 3.0]]], id="dilation-1-unchanged"),
    pytest.param([[[[1.0, 2.0], [3.0, 4.0]]]], 2, [[[[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 4.0]]]],
                 id="2x2-becomes-3x3"),
    pytest.param([[[[1.0, 2.0], [3.0, 4.0]]]], (1, 3), [[[[1.0, 0.0, 0.0, 2.0], [3.0, 0.0, 0.0, 4.0]]]],
                 id="per-axis-dilation"),
]


@pytest.mark.parametrize(("weight", "dilation", "expected"), DILATE_CASES)
def test_dilate_kernel_edge_cases(weight, dilation, expected):
    got = convlib.dilate_kernel(np.array(weight), dilation)
    np.testing.assert_array_equal(got, np.array(expected))
    np.testing.assert_array_equal(got, spread_by_hand(np.array(weight), dilation))


@given(case=conv_cases(), data=st.data())
def test_dilated_conv_is_conv_with_zero_inserted_kernel(case, data):
    """conv(x, w, dilation=d) == conv(x, dilate_kernel(w, d), dilation=1), and both match torch."""
    kw = case.kwargs
    x, w, b = case.args
    wide = convlib.dilate_kernel(w, kw["dilation"])
    np.testing.assert_array_equal(wide, spread_by_hand(w, kw["dilation"]))
    dilated = same_as_torch(conv_name(case.ndim), x, w, b, **kw)
    # 'same' pads by the dilated span either way, so it carries over unchanged.
    undilated = getattr(convlib, conv_name(case.ndim))(x, wide, b, **{**kw, "dilation": 1})
    assert_close(undilated, dilated)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_dilate_kernel_keeps_dtype(dtype):
    (w,) = random_arrays(0, (2, 3, 3, 2), dtype=dtype)
    assert convlib.dilate_kernel(w, 2).dtype == dtype


def test_same_parameters_wider_field():
    """The lecture's point: dilation adds no parameters, only reach."""
    (w,) = random_arrays(1, (1, 1, 3, 3))
    wide = convlib.dilate_kernel(w, 3)
    assert wide.shape == (1, 1, 7, 7)
    assert np.count_nonzero(wide) == np.count_nonzero(w) == 9
