"""Depthwise separable convolution = depthwise (groups = C_in) then pointwise (1x1) (section 3)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_oracle import assert_close, conv_cases, conv_name, random_arrays, same_as_torch, torch_op

import convlib

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


def depthwise_kwargs(case):
    return {k: v for k, v in case.kwargs.items() if k != "groups"}


@given(case=conv_cases(depthwise=True))
def test_depthwise_conv_is_conv_with_groups_equal_to_channels(case):
    """weight (C * m, 1, *k): each input channel gets m filters of its own."""
    x, w, b = case.args
    assert w.shape[1] == 1 and case.kwargs["groups"] == x.shape[-case.ndim - 1]

    def depthwise(*args, groups, **kwargs):  # depthwise_conv has no groups: they are implied
        return convlib.depthwise_conv(*args, **kwargs)

    same_as_torch(conv_name(case.ndim), x, w, b, ours=depthwise, **case.kwargs)


@st.composite
def pointwise_cases(draw):
    n = draw(st.integers(1, 3))
    c_in, c_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(n))
    lead = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    x, w, b = random_arrays(draw(st.integers(0, 2**32 - 1)), (*lead, c_in, *spatial), (c_out, c_in), (c_out,))
    return n, x, w, (b if draw(st.booleans()) else None)


@given(case=pointwise_cases())
def test_pointwise_conv_is_a_1x1_conv(case):
    n, x, w, b = case
    w_full = w.reshape(w.shape + (1,) * n)  # (C_out, C_in, 1, ..., 1)
    assert_close(convlib.pointwise_conv(x, w_full, b), torch_op(conv_name(n), x, w_full, b))


@given(case=pointwise_cases())
def test_pointwise_conv_refuses_a_matrix_weight(case):
    """A (C_out, C_in) matrix does not say how many spatial axes the input has ((2, 3, 5) could be a
    batch of 1D signals or one 2D map), so the weight must carry its 1x1 kernel axes, as in torch."""
    n, x, w, b = case
    with pytest.raises(ValueError, match=r"^pointwise_conv: weight must have at least 3 dimensions"):
        convlib.pointwise_conv(x, w, b)


@st.composite
def separable_cases(draw):
    """A depthwise case plus a pointwise weight reading its C * m channels."""
    case = draw(conv_cases(depthwise=True))
    mid = case.weight.shape[0]
    c_out = draw(st.integers(1, 4))
    pw, pb = random_arrays(draw(st.integers(0, 2**32 - 1)), (c_out, mid, *(1,) * case.ndim), (c_out,))
    return case, pw, (pb if draw(st.booleans()) else None)


@given(case=separable_cases())
def test_depthwise_separable_is_depthwise_then_pointwise_in_torch(case):
    dw_case, pw, pb = case
    x, dw, db = dw_case.args
    name = conv_name(dw_case.ndim)
    expected = torch_op(name, torch_op(name, x, dw, db, **dw_case.kwargs), pw, pb)
    got = convlib.depthwise_separable_conv(x, dw, pw, depthwise_bias=db, pointwise_bias=pb,
                                           **depthwise_kwargs(dw_case))
    assert_close(got, expected)


@given(case=separable_cases())
def test_depthwise_separable_is_a_full_conv_with_a_factored_kernel(case):
    """The separable convolution is an ordinary one whose kernel factors as
    W[o, c] = sum_j pointwise[o, c*m + j] * depthwise[c*m + j]: C_out * C_in * k parameters
    squeezed into C_in * m * (k + C_out). Why it is cheaper, and why it can be less accurate."""
    dw_case, pw, pb = case
    x, dw, db = dw_case.args
    n = dw_case.ndim
    c_in = x.shape[-n - 1]
    m = dw.shape[0] // c_in
    c_out = pw.shape[0]
    pw2 = pw.reshape(c_out, c_in, m)  # (C_out, C_in, m)
    dw2 = dw.reshape(c_in, m, *dw.shape[2:])  # (C_in, m, *k)
    full = np.einsum("ocm,cm...->oc...", pw2, dw2)  # (C_out, C_in, *k)
    bias = None
    if db is not None or pb is not None:
        bias = (pw.reshape(c_out, -1) @ (db if db is not None else np.zeros(dw.shape[0]))
                + (pb if pb is not None else 0.0))
    kw = depthwise_kwargs(dw_case)
    expected = torch_op(conv_name(n), x, full, bias, **kw)
    got = convlib.depthwise_separable_conv(x, dw, pw, db, pb, **kw)
    assert_close(got, expected)


def test_lecture_example_shapes():
    """12x12x3 input, 5x5 depthwise kernel, 256 pointwise filters: an 8x8x256 output."""
    x, dw, pw = random_arrays(0, (1, 3, 12, 12), (3, 1, 5, 5), (256, 3, 1, 1))
    got = convlib.depthwise_separable_conv(x, dw, pw)
    assert got.shape == (1, 256, 8, 8)
    assert_close(got, torch_op("conv2d", torch_op("conv2d", x, dw, groups=3), pw))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_separable_keeps_dtype(dtype):
    x, dw, pw, b = random_arrays(0, (1, 2, 5, 5), (4, 1, 3, 3), (3, 4, 1, 1), (4,), dtype=dtype)
    assert convlib.depthwise_conv(x, dw, b).dtype == dtype
    assert convlib.pointwise_conv(x, pw[:, :2]).dtype == dtype
    assert convlib.depthwise_separable_conv(x, dw, pw, b).dtype == dtype


def test_unbatched_separable():
    x, dw, pw = random_arrays(3, (2, 6, 5), (2, 1, 3, 3), (4, 2, 1, 1))
    expected = torch_op("conv2d", torch_op("conv2d", x, dw, groups=2, padding=1), pw)
    assert_close(convlib.depthwise_separable_conv(x, dw, pw, padding=1), expected)
