"""conv1d / conv2d / conv3d / conv against torch.nn.functional in float64, and the lecture's
equivalences between them: 1D = 2D with height 1, 3D = a sum of 2D convolutions over depth.
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
    random_arrays,
    same_as_torch,
    torch_op,
)

import convlib

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


@pytest.mark.parametrize("n", [1, 2, 3])
@given(data=st.data())
def test_convnd_matches_torch(n, data):
    """Random valid configurations: stride, padding (int, tuple, 'same', 'valid'), dilation,
    groups including depthwise, bias, batched and unbatched input."""
    case = data.draw(conv_cases(ndims=(n,)), label="case")
    same_as_torch(conv_name(n), *case.args, **case.kwargs)


@given(case=conv_cases(paddings=("int", "tuple")))
def test_general_conv_matches_torch(case):
    """``conv`` takes the number of spatial axes from the weight."""
    same_as_torch(conv_name(case.ndim), *case.args, ours=convlib.conv, **case.kwargs)


@given(case=conv_cases(paddings=("same", "valid")))
def test_general_conv_accepts_padding_strings(case):
    same_as_torch(conv_name(case.ndim), *case.args, ours=convlib.conv, **case.kwargs)


def make(x_shape, w_shape, bias=False, seed=0):
    x, w, b = random_arrays(seed, x_shape, w_shape, (w_shape[0],))
    return x, w, (b if bias else None)


# Edge cases written out: (fn, input shape, weight shape, bias, kwargs, output shape worked out by hand).
EDGE_CASES = [
    pytest.param("conv2d", (1, 2, 5, 5), (3, 2, 1, 1), True, {}, (1, 3, 5, 5), id="1x1-kernel"),
    pytest.param("conv2d", (1, 2, 5, 5), (3, 2, 1, 1), False, {"stride": 2}, (1, 3, 3, 3),
                 id="1x1-kernel-stride-2"),
    pytest.param("conv2d", (2, 3, 4, 5), (2, 3, 4, 5), True, {}, (2, 2, 1, 1), id="kernel-equals-input"),
    pytest.param("conv2d", (1, 1, 4, 4), (1, 1, 6, 6), False, {"padding": 1}, (1, 1, 1, 1),
                 id="kernel-equals-padded-input"),
    pytest.param("conv2d", (1, 1, 9, 9), (1, 1, 2, 2), False, {"stride": 4}, (1, 1, 2, 2),
                 id="stride-larger-than-kernel"),
    pytest.param("conv2d", (1, 1, 7, 7), (1, 1, 1, 1), False, {"stride": 5}, (1, 1, 2, 2),
                 id="stride-larger-than-1x1-kernel"),
    pytest.param("conv2d", (1, 1, 4, 4), (1, 1, 3, 3), False, {"stride": 3}, (1, 1, 1, 1),
                 id="output-of-size-1"),
    pytest.param("conv2d", (1, 1, 1, 1), (1, 1, 1, 1), True, {}, (1, 1, 1, 1), id="single-element"),
    pytest.param("conv2d", (1, 1, 2, 2), (1, 1, 3, 3), False, {"padding": 3}, (1, 1, 6, 6),
                 id="padding-larger-than-kernel"),
    pytest.param("conv2d", (1, 1, 6, 5), (1, 1, 3, 2), False, {"stride": (2, 1), "padding": (0, 1)},
                 (1, 1, 2, 6), id="per-axis-stride-and-padding"),
    pytest.param("conv2d", (1, 1, 5, 5), (1, 1, 2, 2), False, {"padding": "same"}, (1, 1, 5, 5),
                 id="same-even-kernel-pads-more-after"),
    pytest.param("conv2d", (1, 1, 5, 6), (1, 1, 3, 2), False, {"padding": "same", "dilation": (2, 3)},
                 (1, 1, 5, 6), id="same-dilated"),
    pytest.param("conv2d", (1, 1, 5, 5), (1, 1, 3, 3), False, {"padding": "valid"}, (1, 1, 3, 3), id="valid"),
    pytest.param("conv2d", (1, 1, 7, 7), (1, 1, 3, 3), False, {"dilation": 3}, (1, 1, 1, 1),
                 id="dilated-kernel-equals-input"),
    pytest.param("conv2d", (2, 4, 5, 5), (8, 1, 3, 3), True, {"groups": 4}, (2, 8, 3, 3),
                 id="depthwise-multiplier-2"),
    pytest.param("conv2d", (1, 6, 4, 4), (4, 3, 3, 3), True, {"groups": 2}, (1, 4, 2, 2), id="groups-2"),
    pytest.param("conv2d", (3, 4, 4), (2, 3, 3, 3), True, {}, (2, 2, 2), id="unbatched"),
    pytest.param("conv2d", (0, 3, 4, 4), (2, 3, 3, 3), True, {}, (0, 2, 2, 2), id="empty-batch"),
    pytest.param("conv1d", (2, 3, 7), (4, 3, 3), True, {"stride": 2, "padding": 1}, (2, 4, 4), id="1d"),
    pytest.param("conv1d", (3, 7), (4, 3, 7), False, {}, (4, 1), id="1d-unbatched-kernel-equals-input"),
    pytest.param("conv3d", (1, 2, 3, 4, 5), (2, 2, 3, 1, 2), True, {"padding": (1, 0, 1)}, (1, 2, 3, 4, 6),
                 id="3d-per-axis-padding"),
    pytest.param("conv3d", (2, 2, 2, 2), (1, 2, 1, 1, 1), False, {"stride": 3}, (1, 1, 1, 1),
                 id="3d-unbatched-stride-larger-than-input"),
]


@pytest.mark.parametrize(("fn", "x_shape", "w_shape", "bias", "kwargs", "out_shape"), EDGE_CASES)
def test_edge_cases(fn, x_shape, w_shape, bias, kwargs, out_shape):
    x, w, b = make(x_shape, w_shape, bias)
    got = same_as_torch(fn, x, w, b, **kwargs)
    assert got.shape == out_shape


def test_numpy_integers_are_accepted_as_arguments():
    x, w, b = make((1, 4, 7, 7), (4, 2, 3, 3), bias=True)
    kwargs = dict(stride=np.int64(2), padding=(np.int32(1), 0), dilation=np.int64(1), groups=np.int64(2))
    expected = torch_op("conv2d", x, w, b, stride=2, padding=(1, 0), dilation=1, groups=2)
    assert_close(convlib.conv2d(x, w, b, **kwargs), expected)


def test_lists_are_accepted_like_tuples():
    x, w, _ = make((1, 1, 6, 6), (1, 1, 3, 3))
    assert_close(convlib.conv2d(x, w, stride=[2, 1], padding=[1, 0]),
                 torch_op("conv2d", x, w, stride=(2, 1), padding=(1, 0)))


def test_array_likes_are_accepted():
    """Nested lists behave like the arrays they describe."""
    x, w, b = make((1, 2, 4), (1, 2, 2), bias=True)
    assert_close(convlib.conv1d(x.tolist(), w.tolist(), b.tolist()), torch_op("conv1d", x, w, b))


def test_non_contiguous_input():
    x, w, _ = make((1, 3, 6, 8), (2, 3, 3, 3))
    x = x[:, ::-1, :, ::2]  # reversed channels, every other column: a strided view
    same_as_torch("conv2d", x, w)


# ----------------------------------------------------------------------------- dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(case=conv_cases(ndims=(1, 2)))
def test_dtype_is_kept(dtype, case):
    x, w = case.input.astype(dtype), case.weight.astype(dtype)
    b = None if case.bias is None else case.bias.astype(dtype)
    got = getattr(convlib, conv_name(case.ndim))(x, w, b, **case.kwargs)
    assert got.dtype == dtype
    # float32 is compared to torch's float32, at float32 precision.
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert_close(got, torch_op(conv_name(case.ndim), x, w, b, **case.kwargs), rtol=tol, atol=tol)


def test_integer_arrays_stay_integer_like_torch():
    """torch convolves int64 tensors exactly; so should we, and keep the dtype."""
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 6, size=(1, 2, 6, 6))
    w = rng.integers(-3, 4, size=(3, 2, 3, 3))
    b = rng.integers(-3, 4, size=(3,))
    got = convlib.conv2d(x, w, b, stride=2, padding=1)
    expected = torch_op("conv2d", x, w, b, stride=2, padding=1)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


# ----------------------------------------------------------------------------- equivalences


@given(case=conv_cases(ndims=(1,)))
def test_1d_is_2d_with_height_1(case):
    """A 1D convolution is a 2D one over an image one pixel high with a kernel one pixel high."""
    x, w, b = case.args
    s, p, d = case.kwargs["stride"], case.kwargs["padding"], case.kwargs["dilation"]
    as_2d = dict(stride=(1, *as_tuple(s, 1)), dilation=(1, *as_tuple(d, 1)), groups=case.kwargs["groups"],
                 padding=p if isinstance(p, str) else (0, *as_tuple(p, 1)))
    # (N, C, L) -> (N, C, 1, L); (C_out, C_in/g, k) -> (C_out, C_in/g, 1, k)
    got_2d = convlib.conv2d(x[..., None, :], w[..., None, :], b, **as_2d)
    assert_close(convlib.conv1d(x, w, b, **case.kwargs), got_2d[..., 0, :])


def sum_of_2d(x, w, b, stride, padding, dilation, groups):
    """3D convolution computed as the lecture describes it: the kernel also slides along
    depth, so each output slice is a sum over the kernel's depth taps of 2D convolutions
    of the matching input slices."""
    (sd, *s_hw), (pd, *p_hw), (dd, *d_hw) = stride, padding, dilation
    x = np.pad(x, [(0, 0)] * (x.ndim - 3) + [(pd, pd), (0, 0), (0, 0)])  # zero-pad depth only
    kd = w.shape[2]
    depth_out = (x.shape[-3] - dd * (kd - 1) - 1) // sd + 1
    slices = []
    for t in range(depth_out):
        total = sum(convlib.conv2d(x[..., t * sd + u * dd, :, :], w[:, :, u], None,
                                   stride=tuple(s_hw), padding=tuple(p_hw), dilation=tuple(d_hw),
                                   groups=groups)
                    for u in range(kd))
        slices.append(total)
    out = np.stack(slices, axis=-3)  # (N, C_out, D_out, H_out, W_out)
    if b is not None:
        out = out + b.reshape(-1, 1, 1, 1)  # (C_out, 1, 1, 1) broadcast over depth, height, width
    return out


@given(case=conv_cases(ndims=(3,), paddings=("int", "tuple")))
def test_3d_is_a_sum_of_2d_over_depth(case):
    kw = {k: as_tuple(v, 3) if k != "groups" else v for k, v in case.kwargs.items()}
    expected = sum_of_2d(*case.args, **kw)
    assert_close(convlib.conv3d(*case.args, **case.kwargs), expected)


def test_2d_on_a_one_hot_input_writes_the_flipped_kernel():
    """Convolution in deep learning is cross-correlation: a single 1 in the input comes out
    as the kernel rotated by 180 degrees (what torch does too)."""
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    got = convlib.conv2d(x, w, padding=1)
    np.testing.assert_array_equal(got[0, 0, 1:4, 1:4], w[0, 0, ::-1, ::-1])
    assert_close(got, torch_op("conv2d", x, w, padding=1))


def test_result_is_a_new_array_and_inputs_are_untouched():
    x, w, b = make((1, 2, 4, 4), (2, 2, 1, 1), bias=True)
    x0, w0, b0 = x.copy(), w.copy(), b.copy()
    out = convlib.conv2d(x, w, b)
    out[...] = 123.0
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(b, b0)


def test_float64_is_not_rounded_through_float32():
    """An input whose sum needs float64's precision: 1 + 1e-12 survives."""
    x = np.array([[[1.0, 1e-12]]])
    w = np.array([[[1.0, 1.0]]])
    got = convlib.conv1d(x, w)
    assert got[0, 0, 0] == 1.0 + 1e-12
    assert got[0, 0, 0] == F.conv1d(torch.from_numpy(x), torch.from_numpy(w))[0, 0, 0].item()



# ----------------------------------------------------------------------------- larger inputs

# Shapes past the sizes hypothesis draws: several cache-sized tiles per image, bands of rows
# that do not divide the output height, batches spread over threads.
LARGE = [
    pytest.param((2, 8, 37, 45), (16, 8, 3, 3), {}, id="stride-1"),
    pytest.param((3, 8, 41, 29), (16, 4, 3, 5), {"stride": 2, "padding": (1, 2), "groups": 2},
                 id="stride-2-groups"),
    pytest.param((1, 16, 50, 50), (16, 1, 3, 3), {"padding": "same", "dilation": 3, "groups": 16},
                 id="depthwise-dilated-same"),
    pytest.param((1, 4, 64, 64), (8, 4, 7, 7), {"stride": 3, "padding": 3}, id="7x7-stride-3"),
]


@pytest.mark.parametrize(("x_shape", "w_shape", "kwargs"), LARGE)
def test_larger_inputs(x_shape, w_shape, kwargs):
    x, w, b = make(x_shape, w_shape, bias=True)
    same_as_torch("conv2d", x, w, b, **kwargs)


def test_concurrent_calls_from_threads():
    """Notebook widgets may redraw from several threads at once; each call stays correct."""
    from concurrent.futures import ThreadPoolExecutor

    cases = [make((2, 4, 30, 30), (6, 4, 3, 3), bias=True, seed=seed) for seed in range(6)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda args: convlib.conv2d(*args, padding=1), cases))
    for args, got in zip(cases, results, strict=True):
        assert_close(got, torch_op("conv2d", *args, padding=1))
