"""Winograd's F(2x2, 3x3): the same convolution as torch's, with fewer multiplications.

Compared with ``torch.nn.functional.conv2d``: in float64 to rounding (the
transforms only add, subtract and halve), in float32 to a looser, written
tolerance, on hypothesis-drawn shapes (odd and even sizes, any padding), on a
table of edges, and with the work forced into small tiles over the thread pool.
"""

import sys
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch_oracle import assert_close, random_arrays

from convlib import winograd
from convlib.winograd import A_T, B_T, G, applies, winograd_conv2d_3x3

winograd_module = sys.modules["convlib.winograd"]

# float32: F(2x2, 3x3) adds and subtracts inputs of different sizes before the products and
# sums the products after, so its rounding error is a few times that of the direct sum:
# about 1e-6 of the largest output on the course's shapes (measured 6e-7 at C_in = 256).
# The tolerance keeps a margin of 20 over that.
FLOAT32_RTOL = 2e-5
FLOAT32_ATOL = 2e-5  # times max |expected|, see torch_oracle.assert_close


def torch_conv(x, w, b, padding) -> np.ndarray:
    """torch's conv2d with per-side padding ``((top, bottom), (left, right))``, in the arrays' dtype."""
    (top, bottom), (left, right) = padding
    xt = F.pad(torch.from_numpy(x), (left, right, top, bottom))
    bt = None if b is None else torch.from_numpy(b)
    return F.conv2d(xt, torch.from_numpy(w), bt).numpy()


@st.composite
def cases(draw, dtype=np.float64):
    """A valid call: any per-side padding up to 2, an input just large enough for a non-empty output."""
    padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(2))
    size = tuple(max(1, 3 - sum(p)) + draw(st.integers(0, 6)) for p in padding)  # odd and even outputs
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    x, w, b = random_arrays(draw(st.integers(0, 2**32 - 1)), (n, c_in) + size, (c_out, c_in, 3, 3), (c_out,),
                            dtype=dtype)
    return x, w, b if draw(st.booleans()) else None, padding


@given(case=cases())
def test_float64_matches_torch(case):
    """In float64 the only difference from torch is the order of the sums."""
    x, w, b, padding = case
    assert_close(winograd_conv2d_3x3(x, w, b, padding), torch_conv(x, w, b, padding))


@given(case=cases(dtype=np.float32))
def test_float32_matches_torch_to_the_written_tolerance(case):
    x, w, b, padding = case
    got = winograd_conv2d_3x3(x, w, b, padding)
    assert got.dtype == np.float32
    assert_close(got, torch_conv(x, w, b, padding), rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


def test_float32_error_on_a_course_shape():
    """The documented size of the error, on a shape the benchmark runs: channels deep, 14x14."""
    x, w = random_arrays(0, (2, 256, 14, 14), (256, 256, 3, 3), dtype=np.float32)
    got = winograd_conv2d_3x3(x, w, None, 1)
    expected = torch_conv(x.astype(np.float64), w.astype(np.float64), None, ((1, 1), (1, 1)))
    error = np.max(np.abs(got - expected)) / np.max(np.abs(expected))
    assert error < 2e-6, f"float32 error {error:.1e} of the largest output, expected about 1e-6"


@pytest.mark.parametrize("compact_when", [-1, float("inf")], ids=["packed", "unpacked"])
@pytest.mark.parametrize("tile_bytes", [1, 40_000, 2**30], ids=["one-row-tiles", "few-row-tiles", "image-tiles"])
@given(case=cases())
def test_any_tiling_matches_torch(tile_bytes, compact_when, case):
    """Tiles of one row of 2x2 tiles, of a few rows, of several images: all on the thread pool,
    with the transformed input multiplied in place or first packed without the dropped tiles."""
    x, w, b, padding = case
    calls = []
    real = winograd_module.run_tiles

    def spy(work, tasks, parallel=True):
        calls.append((len(tasks), parallel))
        return real(work, tasks, parallel)

    with mock.patch.object(winograd_module, "run_tiles", spy), \
         mock.patch.object(winograd_module, "COMPACT_WHEN", compact_when):
        got = winograd_conv2d_3x3(x, w, b, padding, tile_bytes=tile_bytes, parallel=True)
    assert_close(got, torch_conv(x, w, b, padding))
    assert calls == [(calls[0][0], True)], "the parallel tiled path was not taken"
    if tile_bytes == 1:  # every tile is one row of 2x2 tiles of one image
        assert calls[0][0] == x.shape[0] * -(-got.shape[2] // 2)


# (input (N, C_in, H, W), C_out, padding): the edges of the tiling.
EDGES = [
    ((1, 1, 1, 1), 1, 1),  # one pixel: one 2x2 tile, three quarters outside
    ((1, 2, 3, 3), 2, 0),  # a 1x1 output
    ((2, 1, 3, 8), 3, 0),  # one output row
    ((1, 3, 9, 3), 2, 0),  # one output column, odd height
    ((2, 2, 5, 5), 2, 2),  # padding 2: some tiles see only zeros
    ((1, 2, 4, 7), 1, ((2, 0), (0, 2))),  # one-sided padding, as "same" would give
    ((3, 4, 6, 6), 5, ((0, 1), (1, 0))),  # odd output from an even input
]


@pytest.mark.parametrize("shape, c_out, padding", EDGES)
@pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])
def test_edges(shape, c_out, padding, bias):
    x, w, b = random_arrays(1, shape, (c_out, shape[1], 3, 3), (c_out,))
    b = b if bias else None
    pairs = winograd._pairs(padding)
    for tile_bytes, parallel in [(None, False), (1, True)]:
        got = winograd_conv2d_3x3(x, w, b, padding, tile_bytes=tile_bytes, parallel=parallel)
        assert_close(got, torch_conv(x, w, b, pairs), err_msg=f"tile_bytes={tile_bytes}, parallel={parallel}")


def test_dtype_is_promoted_like_conv2d():
    """A float32 input with a float64 weight gives float64, as in the rest of convlib."""
    x, w = random_arrays(2, (1, 2, 5, 5), (3, 2, 3, 3))
    got = winograd_conv2d_3x3(x.astype(np.float32), w, None, 1)
    assert got.dtype == np.float64
    assert_close(got, torch_conv(x.astype(np.float32).astype(np.float64), w, None, ((1, 1), (1, 1))))


def test_inputs_are_not_changed():
    x, w, b = random_arrays(3, (2, 3, 6, 7), (4, 3, 3, 3), (4,))
    before = [a.copy() for a in (x, w, b)]
    winograd_conv2d_3x3(x, w, b, 1, tile_bytes=1, parallel=True)
    for a, a0 in zip((x, w, b), before, strict=True):
        np.testing.assert_array_equal(a, a0)


def test_one_dimensional_minimal_filtering():
    """The lecture's 1-D identity: two outputs of a 3-tap filter from 4 products, A^T [(G g) * (B^T d)]."""
    rng = np.random.default_rng(4)
    d, g = rng.standard_normal(4), rng.standard_normal(3)
    direct = np.array([d[0:3] @ g, d[1:4] @ g])  # 6 multiplications
    np.testing.assert_allclose(A_T @ ((G @ g) * (B_T @ d)), direct, rtol=1e-12)


def test_transformed_weight_is_G_g_G_T():
    w, = random_arrays(5, (3, 2, 3, 3))
    u = winograd.transformed_weight(w, np.float64)  # (16, C_out, C_in)
    for o, c in np.ndindex(3, 2):
        np.testing.assert_allclose(u[:, o, c].reshape(4, 4), G @ w[o, c] @ G.T, rtol=1e-12)


@pytest.mark.parametrize("weight_shape, stride, dilation, groups, dtype, expected", [
    ((8, 4, 3, 3), (1, 1), (1, 1), 1, np.float32, True),
    ((8, 4, 3, 3), (1, 1), (1, 1), 1, np.float64, True),
    ((8, 4, 3, 3), (2, 2), (1, 1), 1, np.float32, False),  # stride: the tiles would not overlap by two
    ((8, 4, 3, 3), (1, 2), (1, 1), 1, np.float32, False),
    ((8, 4, 3, 3), (1, 1), (2, 2), 1, np.float32, False),  # dilation: a 5x5 kernel with holes
    ((8, 2, 3, 3), (1, 1), (1, 1), 2, np.float32, False),  # groups
    ((8, 4, 5, 5), (1, 1), (1, 1), 1, np.float32, False),  # F(2x2, 3x3) is for 3x3 only
    ((8, 4, 3, 1), (1, 1), (1, 1), 1, np.float32, False),
    ((8, 4, 3), (1,), (1,), 1, np.float32, False),  # 1-D
    ((8, 4, 3, 3, 3), (1, 1, 1), (1, 1, 1), 1, np.float32, False),  # 3-D
    ((8, 4, 3, 3), (1, 1), (1, 1), 1, np.int64, False),  # integers: the halves in G
])
def test_applies(weight_shape, stride, dilation, groups, dtype, expected):
    assert applies(weight_shape, stride, dilation, groups, np.dtype(dtype)) is expected


@pytest.mark.parametrize("weight_shape, input_shape, padding, match", [
    ((2, 3, 5, 5), (1, 3, 8, 8), 0, r"weight.*\(C_out, C_in, 3, 3\).*\(2, 3, 5, 5\)"),
    ((2, 4, 3, 3), (1, 3, 8, 8), 0, r"input has 3 channels.*weight expects 4"),
    ((2, 3, 3, 3), (1, 3, 2, 8), 0, r"output.*\(0, 6\).*H \+ top \+ bottom - 2"),
    ((2, 3, 3, 3), (3, 8, 8), 0, r"input.*\(N, C_in, H, W\).*\(3, 8, 8\)"),
])
def test_bad_input_is_refused(weight_shape, input_shape, padding, match):
    with pytest.raises(ValueError, match="^winograd_conv2d_3x3: " + match):
        winograd_conv2d_3x3(np.zeros(input_shape), np.zeros(weight_shape), None, padding)
