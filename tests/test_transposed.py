"""Transposed convolution against torch, and the four ways the lecture describes it, each
shown equal to torch's: zero insertion + padding + convolution with the flipped kernel,
the adjoint of convolution (<conv(x), y> == <x, conv_transpose(y)>), torch's gradient of
the convolution with respect to its input, and (in test_matrix.py) C^T.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
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
    to_torch,
    torch_op,
)

import convlib


@pytest.mark.parametrize("n", [1, 2, 3])
@given(data=st.data())
def test_conv_transpose_nd_matches_torch(n, data):
    """stride, padding (int or tuple, cropping past d(k - 1) too), output_padding below
    max(stride, dilation), dilation, groups, bias, batched and unbatched."""
    case = data.draw(conv_transpose_cases(ndims=(n,)), label="case")
    same_as_torch(conv_transpose_name(n), *case.args, **case.kwargs)


@given(case=conv_transpose_cases())
def test_general_conv_transpose_matches_torch(case):
    same_as_torch(conv_transpose_name(case.ndim), *case.args, ours=convlib.conv_transpose, **case.kwargs)


# (fn, input shape, weight shape, kwargs, output shape worked out from o = (i - 1)s - 2p + d(k - 1) + a + 1)
EDGE_CASES = [
    pytest.param("conv_transpose2d", (1, 1, 2, 2), (1, 1, 3, 3), {}, (1, 1, 4, 4),
                 id="lecture-2x2-k3-to-4x4"),
    pytest.param("conv_transpose2d", (1, 1, 2, 2), (1, 1, 3, 3), {"stride": 2}, (1, 1, 5, 5),
                 id="lecture-stride-2-zero-insertion"),
    pytest.param("conv_transpose2d", (1, 2, 3, 3), (2, 1, 3, 3),
                 {"stride": 2, "padding": 1, "output_padding": 1},
                 (1, 1, 6, 6), id="upsample-x2"),
    pytest.param("conv_transpose2d", (1, 1, 3, 3), (1, 2, 1, 1), {}, (1, 2, 3, 3), id="1x1-kernel"),
    pytest.param("conv_transpose2d", (1, 1, 3, 3), (1, 1, 1, 1), {"stride": 3}, (1, 1, 7, 7),
                 id="stride-larger-than-kernel"),
    pytest.param("conv_transpose2d", (1, 1, 1, 1), (1, 1, 3, 2), {}, (1, 1, 3, 2),
                 id="single-input-is-the-kernel"),
    pytest.param("conv_transpose2d", (1, 1, 3, 3), (1, 1, 1, 1), {"padding": 1}, (1, 1, 1, 1),
                 id="padding-crops-to-size-1"),
    pytest.param("conv_transpose2d", (1, 1, 1, 1), (1, 1, 3, 3), {"padding": 1}, (1, 1, 1, 1),
                 id="output-of-size-1"),
    pytest.param("conv_transpose2d", (1, 1, 3, 3), (1, 1, 2, 2), {"padding": 2, "stride": 3}, (1, 1, 4, 4),
                 id="padding-larger-than-kernel"),
    pytest.param("conv_transpose2d", (1, 1, 2, 3), (1, 1, 2, 2), {"dilation": 3, "output_padding": 2},
                 (1, 1, 7, 8), id="output-padding-below-dilation"),
    pytest.param("conv_transpose2d", (1, 1, 2, 3), (1, 1, 2, 3), {"stride": (2, 3), "output_padding": (1, 2)},
                 (1, 1, 5, 11), id="per-axis-stride-and-output-padding"),
    pytest.param("conv_transpose2d", (1, 4, 2, 2), (4, 3, 2, 2), {"groups": 2}, (1, 6, 3, 3), id="groups-2"),
    pytest.param("conv_transpose2d", (2, 3, 3, 3), (3, 1, 3, 3), {"groups": 3, "stride": 2}, (2, 3, 7, 7),
                 id="depthwise"),
    pytest.param("conv_transpose2d", (3, 2, 2), (3, 2, 2, 2), {}, (2, 3, 3), id="unbatched"),
    pytest.param("conv_transpose1d", (1, 2, 4), (2, 3, 3), {"stride": 2, "padding": 1}, (1, 3, 7), id="1d"),
    pytest.param("conv_transpose3d", (1, 1, 2, 1, 2), (1, 2, 2, 1, 3), {"stride": (2, 1, 3)}, (1, 2, 4, 1, 6),
                 id="3d"),
]


@pytest.mark.parametrize(("fn", "x_shape", "w_shape", "kwargs", "out_shape"), EDGE_CASES)
def test_edge_cases(fn, x_shape, w_shape, kwargs, out_shape):
    c_out = w_shape[1] * kwargs.get("groups", 1)
    x, w, b = random_arrays(0, x_shape, w_shape, (c_out,))
    got = same_as_torch(fn, x, w, b, **kwargs)
    assert got.shape == out_shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(case=conv_transpose_cases(ndims=(1, 2)))
def test_dtype_is_kept(dtype, case):
    x, w = case.input.astype(dtype), case.weight.astype(dtype)
    b = None if case.bias is None else case.bias.astype(dtype)
    got = getattr(convlib, conv_transpose_name(case.ndim))(x, w, b, **case.kwargs)
    assert got.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert_close(got, torch_op(conv_transpose_name(case.ndim), x, w, b, **case.kwargs), rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- zero insertion


def insert_zeros_by_hand(x, z):
    """z zeros between neighbours along the last len(z) axes."""
    n = len(z)
    spatial = x.shape[-n:]
    out = np.zeros(x.shape[:-n] + tuple((i - 1) * (zz + 1) + 1 for i, zz in zip(spatial, z, strict=True)))
    out[(..., *(slice(None, None, zz + 1) for zz in z))] = x
    return out


def pad_or_crop(x, pairs):
    """Pad (before, after) zeros on the last len(pairs) axes; a negative count crops instead."""
    lead = [(0, 0)] * (x.ndim - len(pairs))
    x = np.pad(x, lead + [(max(b, 0), max(a, 0)) for b, a in pairs])
    crop = tuple(slice(max(-b, 0), size - max(-a, 0)) for (b, a), size in zip(pairs, x.shape[-len(pairs):],
                                                                              strict=True))
    return x[(..., *crop)]


def flipped_swapped(weight, groups):
    """The transposed convolution's weight (C_in, C_out/g, *k) as an ordinary convolution's
    (C_out, C_in/g, *k), rotated by 180 degrees in every spatial axis."""
    c_in, per_group_out, *k = weight.shape
    w = weight.reshape(groups, c_in // groups, per_group_out, *k)  # (g, C_in/g, C_out/g, *k)
    w = w.swapaxes(1, 2).reshape(groups * per_group_out, c_in // groups, *k)  # (C_out, C_in/g, *k)
    return np.flip(w, axis=tuple(range(2, w.ndim))).copy()


INSERT_CASES = [
    pytest.param([1.0, 2.0, 3.0], 1, [1.0, 0.0, 2.0, 0.0, 3.0], id="lecture-z1"),
    pytest.param([1.0, 2.0], 2, [1.0, 0.0, 0.0, 2.0], id="z2"),
    pytest.param([1.0, 2.0], 0, [1.0, 2.0], id="z0-unchanged"),
    pytest.param([7.0], 3, [7.0], id="single-element-unchanged"),
]


@pytest.mark.parametrize(("values", "z", "expected"), INSERT_CASES)
def test_insert_zeros_edge_cases(values, z, expected):
    x = np.array(values).reshape(1, 1, -1)  # (N, C, L)
    np.testing.assert_array_equal(convlib.insert_zeros(x, z), np.array(expected).reshape(1, 1, -1))


def test_insert_zeros_2d_per_axis():
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    expected = insert_zeros_by_hand(x, (1, 2))
    assert expected.shape == (1, 1, 3, 7)
    np.testing.assert_array_equal(convlib.insert_zeros(x, (1, 2)), expected)
    np.testing.assert_array_equal(convlib.insert_zeros(x, 1), insert_zeros_by_hand(x, (1, 1)))


@given(case=conv_transpose_cases(batched=True))
def test_zero_insertion_form_matches_torch(case):
    """The lecture's construction as one function: conv_transpose_zero_insertion == torch."""
    same_as_torch(conv_transpose_name(case.ndim), *case.args, ours=convlib.conv_transpose_zero_insertion,
                  **case.kwargs)


@given(case=conv_transpose_cases(batched=True))
def test_zero_insertion_built_by_hand_matches_torch(case):
    """Insert z = s - 1 zeros, pad p' = d(k - 1) - p before and p' + a after (crop where
    negative), then an ordinary stride-1 convolution with the flipped, channel-swapped
    kernel and the same dilation: torch's conv_transpose. zero_insert_and_pad must build
    exactly that padded input."""
    x, w, b = case.args
    n, kw = case.ndim, case.kwargs
    k = w.shape[2:]
    s, p, a, d = (as_tuple(kw[name], n) for name in ("stride", "padding", "output_padding", "dilation"))
    spread = insert_zeros_by_hand(x, tuple(ss - 1 for ss in s))
    pairs = [(dd * (kk - 1) - pp, dd * (kk - 1) - pp + aa) for kk, pp, aa, dd in zip(k, p, a, d, strict=True)]
    padded = pad_or_crop(spread, pairs)
    got = convlib.zero_insert_and_pad(x, k, stride=kw["stride"], padding=kw["padding"],
                                      output_padding=kw["output_padding"], dilation=kw["dilation"])
    assert_close(got, padded)
    by_hand = torch_op(conv_name(n), padded, flipped_swapped(w, kw["groups"]), b, dilation=kw["dilation"],
                       groups=kw["groups"])
    assert_close(by_hand, torch_op(conv_transpose_name(n), x, w, b, **kw))
    assert_close(convlib.transposed_as_conv_weight(w, kw["groups"]), flipped_swapped(w, kw["groups"]))


def test_transposed_as_conv_weight_refuses_groups_that_do_not_divide():
    with pytest.raises(ValueError, match=r"^transposed_as_conv_weight: in_channels \(4, weight.shape\[0\]\) "
                                         r"must be divisible by groups \(3\)"):
        convlib.transposed_as_conv_weight(np.zeros((4, 1, 3, 3)), groups=3)


# ----------------------------------------------------------------------------- adjoint and gradient


def transposed_of(case):
    """The transposed call that maps conv's output shape back to its input shape exactly:
    the same weight, stride, padding, dilation and groups, and output_padding equal to
    what the last stride step left uncovered."""
    kw = case.kwargs
    n = case.ndim
    k = case.weight.shape[2:]
    s, p, d = (as_tuple(kw[name], n) for name in ("stride", "padding", "dilation"))
    sizes = case.input.shape[-n:]
    a = tuple((i + 2 * pp - dd * (kk - 1) - 1) % ss
              for i, kk, ss, pp, dd in zip(sizes, k, s, p, d, strict=True))
    return dict(stride=kw["stride"], padding=kw["padding"], output_padding=a, groups=kw["groups"],
                dilation=kw["dilation"])


@given(case=conv_cases(paddings=("int", "tuple"), bias=False), seed=st.integers(0, 2**32 - 1))
def test_transposed_is_the_adjoint_of_conv(case, seed):
    """<conv(x), y> == <x, conv_transpose(y)> for every x and y: the transposed convolution
    is the transpose (adjoint) of the linear map x -> conv(x), not its inverse."""
    x, w, _ = case.args
    n = case.ndim
    cx = getattr(convlib, conv_name(n))(x, w, **case.kwargs)
    (y,) = random_arrays(seed, cx.shape)
    ty = getattr(convlib, conv_transpose_name(n))(y, w, **transposed_of(case))
    assert ty.shape == x.shape
    lhs, rhs = np.vdot(cx, y), np.vdot(x, ty)
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10 * (np.abs(cx).sum() * np.abs(y).max() + 1))


@given(case=conv_cases(paddings=("int", "tuple"), bias=False), seed=st.integers(0, 2**32 - 1))
def test_transposed_is_torchs_gradient_of_conv(case, seed):
    """Backpropagating y through conv gives conv_transpose(y) as the input's gradient."""
    x, w, _ = case.args
    n = case.ndim
    xt = to_torch(x).requires_grad_(True)
    out = getattr(F, conv_name(n))(xt, to_torch(w), **case.kwargs)
    (y,) = random_arrays(seed, tuple(out.shape))
    (grad,) = torch.autograd.grad(out, xt, grad_outputs=to_torch(y))
    got = getattr(convlib, conv_transpose_name(n))(y, w, **transposed_of(case))
    assert_close(got, grad.numpy())


LARGE = [
    pytest.param((2, 8, 23, 31), (8, 6, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1},
                 id="upsample-x2"),
    pytest.param((3, 6, 17, 19), (6, 4, 4, 4), {"stride": 3, "groups": 2, "dilation": 2},
                 id="groups-dilated"),
]


@pytest.mark.parametrize(("x_shape", "w_shape", "kwargs"), LARGE)
def test_larger_inputs(x_shape, w_shape, kwargs):
    c_out = w_shape[1] * kwargs.get("groups", 1)
    x, w, b = random_arrays(1, x_shape, w_shape, (c_out,))
    same_as_torch("conv_transpose2d", x, w, b, **kwargs)
