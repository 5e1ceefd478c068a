"""The slow, obvious versions equal the fast path (and torch), and ``conv_element`` is the
lecture's picture of one output element: a window of the input times the kernel, summed.

Naive loops visit every output element, so the configurations here are the smallest ones.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_oracle import (
    as_tuple,
    assert_close,
    conv_cases,
    conv_name,
    conv_transpose_cases,
    conv_transpose_name,
    random_arrays,
    same_as_torch,
)

import convlib
from convlib.shapes import kernel_positions, same_padding

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")

FEW = settings(max_examples=30)


@FEW
@given(case=conv_cases())
def test_conv_naive_equals_fast_path_and_torch(case):
    fast = convlib.conv(*case.args, **case.kwargs)
    naive = same_as_torch(conv_name(case.ndim), *case.args, ours=convlib.conv_naive, **case.kwargs)
    assert_close(naive, fast)


@FEW
@pytest.mark.parametrize("n", [1, 2, 3])
@given(data=st.data())
def test_convnd_naive_equals_convnd(n, data):
    case = data.draw(conv_cases(ndims=(n,)), label="case")
    naive = getattr(convlib, f"conv{n}d_naive")(*case.args, **case.kwargs)
    assert_close(naive, getattr(convlib, conv_name(n))(*case.args, **case.kwargs))


@FEW
@given(case=conv_transpose_cases())
def test_conv_transpose_naive_equals_fast_path_and_torch(case):
    fast = convlib.conv_transpose(*case.args, **case.kwargs)
    naive = same_as_torch(conv_transpose_name(case.ndim), *case.args, ours=convlib.conv_transpose_naive,
                          **case.kwargs)
    assert_close(naive, fast)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_naive_versions_keep_the_dtype(dtype):
    x, w, b = random_arrays(0, (1, 2, 5, 5), (3, 2, 3, 3), (3,), dtype=dtype)
    assert convlib.conv2d_naive(x, w, b).dtype == dtype
    assert convlib.conv_naive(x, w, b).dtype == dtype
    assert convlib.conv_transpose_naive(x, w.transpose(1, 0, 2, 3).copy(), b).dtype == dtype


# ----------------------------------------------------------------------------- conv_element


def padding_before(case, k):
    """Zeros before each spatial axis: what output position 0's window starts behind."""
    p, d = case.kwargs["padding"], as_tuple(case.kwargs["dilation"], case.ndim)
    if p == "valid":
        return (0,) * case.ndim
    if p == "same":
        return tuple(same_padding(kk, dd)[0] for kk, dd in zip(k, d, strict=True))
    return as_tuple(p, case.ndim)


@given(case=conv_cases(batched=False), data=st.data())
def test_conv_element_is_window_times_kernel(case, data):
    x, w, b = case.args
    kw = case.kwargs
    fast = convlib.conv(x, w, b, **kw)  # (C_out, *S_out)
    out_index = tuple(data.draw(st.integers(0, size - 1), label=f"out_index[{a}]")
                      for a, size in enumerate(fast.shape))
    el = convlib.conv_element(x, w, out_index, b, **kw)

    c_out, position = out_index[0], out_index[1:]
    k = w.shape[2:]
    s, d = as_tuple(kw["stride"], case.ndim), as_tuple(kw["dilation"], case.ndim)
    p = padding_before(case, k)
    per_group = w.shape[1]
    group = c_out // (w.shape[0] // kw["groups"])

    assert el.channels == range(group * per_group, (group + 1) * per_group)
    np.testing.assert_array_equal(el.kernel, w[c_out])
    assert el.positions == tuple(kernel_positions(o, kk, ss, pp, dd)
                                 for o, kk, ss, pp, dd in zip(position, k, s, p, d, strict=True))
    # The window, gathered by hand: the input at those positions, zero in the padding.
    expected_window = np.zeros((per_group, *k))
    for ci, c in enumerate(el.channels):
        for taps in np.ndindex(*k):
            at = tuple(el.positions[a][t] for a, t in enumerate(taps))
            if all(0 <= q < size for q, size in zip(at, x.shape[1:], strict=True)):
                expected_window[(ci, *taps)] = x[(c, *at)]
    np.testing.assert_array_equal(el.window, expected_window)
    assert el.bias == (0.0 if b is None else b[c_out])
    assert isinstance(el.value, float)
    assert el.value == pytest.approx((el.window * el.kernel).sum() + el.bias, rel=1e-12, abs=1e-12)
    assert el.value == pytest.approx(fast[out_index], rel=1e-10, abs=1e-10)


def test_conv_element_lecture_example():
    """A 4x4 input, a 3x3 kernel, no padding: output (0, 1, 0) reads rows 1..3 and columns 0..2."""
    x = np.arange(16.0).reshape(1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    el = convlib.conv_element(x, w, (0, 1, 0), bias=np.array([0.5]))
    np.testing.assert_array_equal(el.window, [[[4, 5, 6], [8, 9, 10], [12, 13, 14]]])
    assert el.positions == ((1, 2, 3), (0, 1, 2))
    assert el.channels == range(0, 1)
    assert el.bias == 0.5
    assert el.value == 4 + 5 + 6 + 8 + 9 + 10 + 12 + 13 + 14 + 0.5


def test_conv_element_in_the_padding():
    """With padding 1 the corner output's window hangs over the border: zeros there."""
    x = np.arange(1.0, 10.0).reshape(1, 3, 3)
    w = np.ones((1, 1, 3, 3))
    el = convlib.conv_element(x, w, (0, 0, 0), padding=1)
    assert el.positions == ((-1, 0, 1), (-1, 0, 1))
    np.testing.assert_array_equal(el.window, [[[0, 0, 0], [0, 1, 2], [0, 4, 5]]])
    assert el.value == 1 + 2 + 4 + 5
