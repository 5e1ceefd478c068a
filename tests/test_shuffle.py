"""channel_shuffle equals torch.nn.functional.channel_shuffle (section 5, ShuffleNet)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_oracle import assert_close, random_arrays, same_as_torch

import convlib


@st.composite
def shuffle_cases(draw):
    groups = draw(st.integers(1, 4))
    channels = groups * draw(st.integers(1, 4))
    spatial = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3))))
    (x,) = random_arrays(draw(st.integers(0, 2**32 - 1)), (draw(st.integers(1, 2)), channels, *spatial))
    return x, groups


@given(case=shuffle_cases())
def test_channel_shuffle_matches_torch(case):
    x, groups = case
    same_as_torch("channel_shuffle", x, groups)


@given(case=shuffle_cases())
def test_channel_shuffle_deals_one_channel_from_each_group(case):
    """Output channel i comes from group i mod g, position i div g within it."""
    x, g = case
    per_group = x.shape[1] // g
    expected = np.stack([x[:, (i % g) * per_group + i // g] for i in range(x.shape[1])], axis=1)
    np.testing.assert_array_equal(convlib.channel_shuffle(x, g), expected)


@given(case=shuffle_cases())
def test_shuffle_by_channels_per_group_undoes_it(case):
    x, g = case
    np.testing.assert_array_equal(convlib.channel_shuffle(convlib.channel_shuffle(x, g), x.shape[1] // g), x)


SHUFFLES = [
    pytest.param(6, 2, [0, 3, 1, 4, 2, 5], id="doc-example-6-by-2"),
    pytest.param(6, 3, [0, 2, 4, 1, 3, 5], id="6-by-3"),
    pytest.param(4, 1, [0, 1, 2, 3], id="one-group-unchanged"),
    pytest.param(4, 4, [0, 1, 2, 3], id="one-channel-per-group-unchanged"),
    pytest.param(1, 1, [0], id="single-channel"),
]


@pytest.mark.parametrize(("channels", "groups", "order"), SHUFFLES)
def test_channel_shuffle_edge_cases(channels, groups, order):
    x = np.arange(float(channels)).reshape(1, channels, 1)
    got = same_as_torch("channel_shuffle", x, groups)
    np.testing.assert_array_equal(got[0, :, 0], order)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channel_shuffle_keeps_dtype(dtype):
    (x,) = random_arrays(0, (2, 6, 3, 3), dtype=dtype)
    got = same_as_torch("channel_shuffle", x, 3)
    assert got.dtype == dtype


def test_grouped_conv_then_shuffle_mixes_groups():
    """Why shuffle: after two grouped convolutions every output depends on only one input
    group; a shuffle in between lets every output see every input group (given at least
    as many channels per group as groups)."""
    rng = np.random.default_rng(0)
    groups, c = 3, 9
    w1, w2 = rng.standard_normal((c, c // groups, 1)), rng.standard_normal((c, c // groups, 1))

    def reach(shuffle):
        seen = np.zeros((c, c), dtype=bool)  # (output channel, input channel)
        for ci in range(c):
            x = np.zeros((1, c, 1))
            x[0, ci] = 1.0
            h = convlib.conv1d(x, w1, groups=groups)
            if shuffle:
                h = convlib.channel_shuffle(h, groups)
            seen[:, ci] = convlib.conv1d(h, w2, groups=groups)[0, :, 0] != 0
        return seen

    assert reach(shuffle=True).all()
    assert reach(shuffle=False).sum() == c * (c // groups)  # block-diagonal: one group each
    # (C, C): row i is one-hot at the channel that output channel i came from
    shuffled = convlib.channel_shuffle(np.eye(c)[None], groups)[0]
    assert_close(shuffled, np.eye(c)[[0, 3, 6, 1, 4, 7, 2, 5, 8]])
