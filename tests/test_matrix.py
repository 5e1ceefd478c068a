"""Convolution as a matrix C, transposed convolution as C^T (course addition to section 7).

C is checked against a brute-force construction (column j is torch's convolution of the
j-th one-hot input), then used both ways: conv(x).ravel() == C @ x.ravel() and
conv_transpose(y).ravel() == C.T @ y.ravel().
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_oracle import (
    as_tuple,
    assert_close,
    conv_cases,
    conv_name,
    conv_transpose_name,
    random_arrays,
    torch_op,
)

import convlib

FEW = settings(max_examples=40)


def matrix_by_columns(input_shape, weight, **kwargs):
    """Column j of C is the convolution of the j-th one-hot input, all computed by torch in
    one batch: the identity matrix reshaped into a batch of one-hot images."""
    size = int(np.prod(input_shape))
    eye = np.eye(size).reshape((size, *input_shape))  # (C_in * prod(S_in) one-hot inputs, C_in, *S_in)
    out = torch_op(conv_name(len(input_shape) - 1), eye, weight, **kwargs)  # (inputs, C_out, *S_out)
    return out.reshape(size, -1).T  # (C_out * prod(S_out), C_in * prod(S_in))


def conv_kwargs(case):
    return {k: case.kwargs[k] for k in ("stride", "padding", "dilation", "groups")}


@FEW
@given(case=conv_cases(ndims=(1, 2), paddings=("int", "tuple"), batched=False, bias=False))
def test_conv_matrix_matches_one_hot_columns(case):
    x, w, _ = case.args
    C = convlib.conv_matrix(x.shape, w, **conv_kwargs(case))
    assert_close(C, matrix_by_columns(x.shape, w, **conv_kwargs(case)))


@FEW
@given(case=conv_cases(ndims=(1, 2, 3), paddings=("int", "tuple"), batched=False, bias=False),
       seed=st.integers(0, 2**32 - 1))
def test_conv_is_C_times_x_and_transposed_is_C_transpose(case, seed):
    x, w, _ = case.args
    n, kw = case.ndim, conv_kwargs(case)
    C = convlib.conv_matrix(x.shape, w, **kw)
    out = torch_op(conv_name(n), x, w, **kw)
    assert C.shape == (out.size, x.size)
    assert_close(C @ x.ravel(), out.ravel())

    # With output_padding = the remainder on each axis, conv_transpose lands on x's shape.
    k = w.shape[2:]
    s, p, d = (as_tuple(kw[name], n) for name in ("stride", "padding", "dilation"))
    a = tuple((i + 2 * pp - dd * (kk - 1) - 1) % ss
              for i, kk, ss, pp, dd in zip(x.shape[1:], k, s, p, d, strict=True))
    (y,) = random_arrays(seed, out.shape)
    t_kw = dict(stride=kw["stride"], padding=kw["padding"], output_padding=a, groups=kw["groups"],
                dilation=kw["dilation"])
    expected = torch_op(conv_transpose_name(n), y, w, **t_kw)
    assert expected.shape == x.shape
    assert_close(C.T @ y.ravel(), expected.ravel())
    assert_close(convlib.conv_transpose(y, w, **t_kw).ravel(), C.T @ y.ravel())


def test_lecture_example_4x4_input_3x3_kernel():
    """The classic picture (Dumoulin & Visin, fig. 4.x): a 3x3 kernel over a 4x4 input is a
    4 x 16 matrix whose rows are the kernel laid out at the four window positions."""
    w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    C = convlib.conv_matrix((1, 4, 4), w)
    assert C.shape == (4, 16)
    row0 = np.zeros((4, 4))
    row0[:3, :3] = w[0, 0]
    np.testing.assert_array_equal(C[0], row0.ravel())
    row3 = np.zeros((4, 4))
    row3[1:, 1:] = w[0, 0]
    np.testing.assert_array_equal(C[3], row3.ravel())
    assert_close(C, matrix_by_columns((1, 4, 4), w))


MATRIX_EDGE_CASES = [
    pytest.param((1, 3, 3), (1, 1, 1, 1), {}, id="1x1-kernel-is-identity-times-weight"),
    pytest.param((2, 3, 3), (1, 2, 3, 3), {}, id="kernel-equals-input-one-row"),
    pytest.param((1, 5, 5), (1, 1, 2, 2), {"stride": 3}, id="stride-larger-than-kernel"),
    pytest.param((1, 3, 3), (1, 1, 3, 3), {"padding": 1}, id="padding"),
    pytest.param((2, 4, 4), (2, 1, 2, 2), {"groups": 2, "dilation": 2}, id="depthwise-dilated"),
]


@pytest.mark.parametrize(("input_shape", "w_shape", "kwargs"), MATRIX_EDGE_CASES)
def test_conv_matrix_edge_cases(input_shape, w_shape, kwargs):
    (w,) = random_arrays(0, w_shape)
    assert_close(convlib.conv_matrix(input_shape, w, **kwargs), matrix_by_columns(input_shape, w, **kwargs))


def test_1x1_kernel_matrix_is_a_scaled_identity():
    C = convlib.conv_matrix((1, 3, 3), np.full((1, 1, 1, 1), 2.5))
    np.testing.assert_array_equal(C, 2.5 * np.eye(9))


def test_conv_matrix_keeps_float32():
    (w,) = random_arrays(0, (2, 1, 3, 3), dtype=np.float32)
    assert convlib.conv_matrix((1, 4, 4), w).dtype == np.float32


def test_torch_agrees_on_the_transpose_with_autograd():
    """C^T computed by torch's backward pass: the Jacobian of conv is C, so the
    vector-Jacobian product with y is C^T y."""
    x, w, y = random_arrays(5, (1, 5, 6), (2, 1, 3, 2), (2, 2, 3))
    C = convlib.conv_matrix(x.shape, w, stride=2)
    xt = torch.from_numpy(x).requires_grad_(True)
    out = torch.nn.functional.conv2d(xt, torch.from_numpy(w), stride=2)
    assert tuple(out.shape) == y.shape
    (grad,) = torch.autograd.grad(out, xt, grad_outputs=torch.from_numpy(y))
    assert_close(C.T @ y.ravel(), grad.numpy().ravel())
