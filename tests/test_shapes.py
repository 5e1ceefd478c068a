"""Output-size arithmetic (convlib.shapes) against torch's actual output shapes and brute force.

Every formula is checked two ways that do not use it: the shape torch really produces,
and a count or construction done by hand (window start positions that fit, the extent
of a scatter, a one-hot input pushed through a stack of torch convolutions).
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from torch_oracle import TORCH_ERRORS, assert_close, message

from convlib.shapes import (
    conv_output_size,
    conv_remainder,
    conv_transpose_output_size,
    effective_kernel_size,
    kernel_positions,
    receptive_field,
    receptive_fields,
    same_padding,
    zero_insertion_params,
)

sizes = st.integers(1, 24)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 4)


def torch_conv_size(i, k, stride=1, padding=0, dilation=1):
    x, w = torch.zeros(1, 1, i, dtype=torch.float64), torch.zeros(1, 1, k, dtype=torch.float64)
    return F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation).shape[-1]


def torch_conv_transpose_size(i, k, stride=1, padding=0, output_padding=0, dilation=1):
    x, w = torch.zeros(1, 1, i, dtype=torch.float64), torch.zeros(1, 1, k, dtype=torch.float64)
    return F.conv_transpose1d(x, w, stride=stride, padding=padding, output_padding=output_padding,
                              dilation=dilation).shape[-1]


def count_windows(i, k, stride, padding, dilation):
    """Window start positions (in the padded input) whose last tap still lands inside it."""
    padded = i + 2 * padding
    return sum(1 for start in range(0, padded, stride) if start + dilation * (k - 1) < padded)


# ----------------------------------------------------------------------------- conv_output_size

# (i, k, stride, padding, dilation, expected): expected worked out by hand from the picture
# of the kernel sliding over the padded input, then checked against torch in the test.
CONV_SIZES = [
    pytest.param(5, 3, 2, 1, 1, 3, id="lecture-5x5-k3-s2-p1"),
    pytest.param(4, 3, 1, 0, 1, 2, id="lecture-4x4-k3"),
    pytest.param(7, 1, 1, 0, 1, 7, id="1x1-kernel"),
    pytest.param(7, 1, 3, 0, 1, 3, id="1x1-kernel-stride-3"),
    pytest.param(5, 5, 1, 0, 1, 1, id="kernel-equals-input"),
    pytest.param(5, 5, 3, 0, 1, 1, id="kernel-equals-input-stride-3"),
    pytest.param(10, 2, 3, 0, 1, 3, id="stride-larger-than-kernel"),
    pytest.param(10, 1, 4, 0, 1, 3, id="stride-larger-than-kernel-1x1"),
    pytest.param(4, 3, 3, 0, 1, 1, id="output-of-size-1"),
    pytest.param(6, 3, 2, 0, 1, 2, id="floor-when-stride-does-not-divide"),
    pytest.param(7, 3, 1, 0, 3, 1, id="dilated-kernel-equals-input"),
    pytest.param(7, 3, 1, 1, 2, 5, id="dilated-padded"),
    pytest.param(1, 3, 1, 1, 1, 1, id="padding-makes-room"),
    pytest.param(1, 1, 1, 4, 1, 9, id="padding-only"),
    pytest.param(1, 1, 5, 0, 5, 1, id="single-element"),
]


@pytest.mark.parametrize(("i", "k", "s", "p", "d", "expected"), CONV_SIZES)
def test_conv_output_size_edge_cases(i, k, s, p, d, expected):
    assert torch_conv_size(i, k, s, p, d) == expected  # the table itself is right
    assert count_windows(i, k, s, p, d) == expected
    assert conv_output_size(i, k, stride=s, padding=p, dilation=d) == expected


@given(i=sizes, k=kernels, s=strides, p=paddings, d=dilations)
def test_conv_output_size_matches_torch_and_counting(i, k, s, p, d):
    count = count_windows(i, k, s, p, d)
    if count == 0:
        with pytest.raises(ValueError, match=message("conv_output_size", "larger")):
            conv_output_size(i, k, s, p, d)
        with pytest.raises(TORCH_ERRORS):
            torch_conv_size(i, k, s, p, d)
    else:
        got = conv_output_size(i, k, s, p, d)
        assert type(got) is int
        assert got == count == torch_conv_size(i, k, s, p, d)


@given(i=sizes, k=kernels, s=strides, p=paddings, d=dilations)
def test_conv_remainder_is_the_uncovered_tail(i, k, s, p, d):
    """The padded input elements after the last window: removing them keeps the output
    size, removing one more (or adding a stride's worth) changes it."""
    assume(count_windows(i, k, s, p, d) > 0)
    o = torch_conv_size(i, k, s, p, d)
    last_window_end = (o - 1) * s + d * (k - 1) + 1
    expected = i + 2 * p - last_window_end
    assert 0 <= expected < s
    assert conv_remainder(i, k, s, p, d) == expected
    smallest = i - expected  # the smallest input with this output size (< 1 when padding is left over)
    if smallest >= 1:
        assert torch_conv_size(smallest, k, s, p, d) == o
    assert torch_conv_size(smallest + s, k, s, p, d) == o + 1
    if o > 1 and smallest > 1:
        assert torch_conv_size(smallest - 1, k, s, p, d) == o - 1


# ----------------------------------------------------------------------------- transposed

# (i, k, stride, padding, output_padding, dilation, expected)
TRANSPOSE_SIZES = [
    pytest.param(3, 3, 2, 1, 1, 1, 6, id="doc-example-upsample-x2"),
    pytest.param(2, 3, 1, 0, 0, 1, 4, id="lecture-2x2-k3-to-4x4"),
    pytest.param(2, 3, 2, 0, 0, 1, 5, id="stride-2-zero-insertion"),
    pytest.param(4, 1, 1, 0, 0, 1, 4, id="1x1-kernel"),
    pytest.param(4, 1, 3, 0, 0, 1, 10, id="1x1-kernel-stride-larger-than-kernel"),
    pytest.param(1, 4, 1, 0, 0, 1, 4, id="single-input-writes-the-kernel"),
    pytest.param(3, 1, 1, 1, 0, 1, 1, id="padding-crops-to-size-1"),
    pytest.param(2, 3, 1, 0, 1, 2, 7, id="output-padding-below-dilation"),
    pytest.param(3, 2, 3, 0, 2, 1, 10, id="largest-output-padding"),
]


@pytest.mark.parametrize(("i", "k", "s", "p", "a", "d", "expected"), TRANSPOSE_SIZES)
def test_conv_transpose_output_size_edge_cases(i, k, s, p, a, d, expected):
    assert torch_conv_transpose_size(i, k, s, p, a, d) == expected
    assert conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=a, dilation=d) == expected


@given(i=st.integers(1, 12), k=kernels, s=strides, p=paddings, d=dilations, data=st.data())
def test_conv_transpose_output_size_matches_torch_and_scatter_extent(i, k, s, p, d, data):
    a = data.draw(st.integers(0, max(s, d) - 1), label="output_padding")
    # Input element j writes to j*s + t*d (t < k) of the uncropped output; padding then crops p
    # from each end and output_padding adds a at the end.
    extent = max(j * s + t * d for j in range(i) for t in range(k)) + 1
    expected = extent - 2 * p + a
    if expected < 1:
        with pytest.raises(ValueError, match=message("conv_transpose_output_size")):
            conv_transpose_output_size(i, k, s, p, a, d)
        with pytest.raises(TORCH_ERRORS):
            torch_conv_transpose_size(i, k, s, p, a, d)
        return
    got = conv_transpose_output_size(i, k, s, p, a, d)
    assert type(got) is int
    assert got == expected == torch_conv_transpose_size(i, k, s, p, a, d)


@given(i=st.integers(1, 12), k=kernels, s=strides, p=paddings, d=dilations)
def test_transposed_size_inverts_conv_size(i, k, s, p, d):
    """Every output_padding a < s gives an input size that the convolution maps back to i,
    with a as its remainder: the transposed convolution undoes the shape of the convolution."""
    for a in range(s):
        try:
            o = torch_conv_transpose_size(i, k, s, p, a, d)
        except RuntimeError:  # padding crops everything: no such convolution input
            continue
        assert conv_transpose_output_size(i, k, s, p, a, d) == o
        assert conv_output_size(o, k, s, p, d) == i
        assert conv_remainder(o, k, s, p, d) == a


def pad_or_crop(v, before, after):
    """Zeros added at each end of a 1D array, or elements removed where the count is negative."""
    v = np.pad(v, (max(before, 0), max(after, 0)))
    return v[max(-before, 0): len(v) - max(-after, 0)]


@given(i=st.integers(1, 8), k=st.integers(1, 5), s=strides, p=paddings, d=st.integers(1, 3), data=st.data())
def test_zero_insertion_params_rebuild_torch_conv_transpose(i, k, s, p, d, data):
    """z zeros between inputs, p_before / p_after zeros around (cropping when negative),
    then a stride-1 convolution with the flipped kernel: exactly torch's conv_transpose1d."""
    a = data.draw(st.integers(0, max(s, d) - 1), label="output_padding")
    extent = (i - 1) * s + d * (k - 1) + 1
    assume(extent - 2 * p + a >= 1)
    params = zero_insertion_params(i, k, stride=s, padding=p, output_padding=a, dilation=d)
    assert params.z == s - 1 and params.s_prime == 1 and params.a == a
    assert params.output_size == torch_conv_transpose_size(i, k, s, p, a, d)

    rng = np.random.default_rng(i * 1000 + k * 100 + s * 10 + p)
    x, w = rng.standard_normal(i), rng.standard_normal(k)
    spread = np.zeros((i - 1) * (params.z + 1) + 1)
    spread[:: params.z + 1] = x
    spread = pad_or_crop(spread, params.p_before, params.p_after)
    got = F.conv1d(torch.from_numpy(spread)[None, None], torch.from_numpy(w[::-1].copy())[None, None],
                   stride=params.s_prime, dilation=d)[0, 0].numpy()
    expected = F.conv_transpose1d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                                  stride=s, padding=p, output_padding=a, dilation=d)[0, 0].numpy()
    assert_close(got, expected)


def test_zero_insertion_params_lecture_example():
    """The docstring's upsample-by-2 case, worked by hand: z = 1, p' = 3 - 1 - 1 = 1, a = 1."""
    params = zero_insertion_params(3, 3, stride=2, padding=1, output_padding=1)
    assert tuple(params) == (1, 1, 2, 1, 1, 6)
    assert params._fields == ("z", "p_before", "p_after", "s_prime", "a", "output_size")


# ----------------------------------------------------------------------------- kernel geometry


@given(k=kernels, d=dilations)
def test_effective_kernel_size_is_the_smallest_input_torch_accepts(k, d):
    span = effective_kernel_size(k, d)
    assert torch_conv_size(span, k, dilation=d) == 1
    if span > 1:
        with pytest.raises(RuntimeError):
            torch_conv_size(span - 1, k, dilation=d)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@given(k=kernels, d=dilations, i=st.integers(1, 12))
def test_same_padding_reproduces_torch_same(k, d, i):
    before, after = same_padding(k, d)
    assert 0 <= after - before <= 1  # torch puts the odd zero after
    rng = np.random.default_rng(k * 100 + d * 10 + i)
    x = torch.from_numpy(rng.standard_normal((1, 1, i)))
    w = torch.from_numpy(rng.standard_normal((1, 1, k)))
    expected = F.conv1d(x, w, padding="same", dilation=d)
    got = F.conv1d(F.pad(x, (before, after)), w, dilation=d)
    assert_close(got.numpy(), expected.numpy())


@given(i=st.integers(1, 12), k=kernels, s=strides, p=paddings, d=dilations)
def test_kernel_positions_are_the_inputs_an_output_reads(i, k, s, p, d):
    """Pad by hand, convolve with a kernel of ones, and see which padded positions feed
    each output: their indices, shifted back by p, are the kernel positions (those
    below 0 or from i on lie in the padding)."""
    assume(count_windows(i, k, s, p, d) > 0)
    x = torch.zeros(1, 1, i + 2 * p, dtype=torch.float64, requires_grad=True)
    out = F.conv1d(x, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    for index in range(out.shape[-1]):
        (grad,) = torch.autograd.grad(out[0, 0, index], x, retain_graph=True)
        read = tuple(int(q) - p for q in torch.nonzero(grad[0, 0]).ravel())
        assert kernel_positions(index, k, stride=s, padding=p, dilation=d) == read


@given(i=st.integers(1, 8), k=kernels, s=strides, p=paddings, d=dilations)
def test_kernel_positions_are_the_outputs_a_transposed_input_writes(i, k, s, p, d):
    """One-hot input through torch's conv_transpose1d with ones and no cropping: the
    written positions, shifted back by p, are the kernel positions of that input."""
    w = torch.ones(1, 1, k, dtype=torch.float64)
    for index in range(i):
        x = torch.zeros(1, 1, i, dtype=torch.float64)
        x[0, 0, index] = 1.0
        out = F.conv_transpose1d(x, w, stride=s, dilation=d)[0, 0]
        written = tuple(int(q) - p for q in torch.nonzero(out).ravel())
        assert kernel_positions(index, k, stride=s, padding=p, dilation=d) == written


# ----------------------------------------------------------------------------- receptive field

layer_strategy = st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(1, 3))


def measured_receptive_field(layers):
    """Push every one-hot input of length n through a stack of torch conv1d with positive
    kernels; the inputs that reach output 0 span the receptive field."""
    # Long enough for one output: every layer's span, in input elements, is at most
    # d(k - 1) + 1 times the product of all strides.
    n = math.prod(s for _, s, _ in layers) * sum(d * (k - 1) + 1 for k, _, d in layers)
    out = torch.eye(n, dtype=torch.float64)[:, None, :]  # (n one-hot inputs, 1 channel, n)
    for k, s, d in layers:
        out = F.conv1d(out, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    reached = torch.nonzero(out[:, 0, 0]).ravel()
    return int(reached.max() - reached.min()) + 1


RECEPTIVE_FIELDS = [
    pytest.param([(3, 1, 1), (3, 1, 2), (3, 1, 4)], [3, 7, 15], id="dilations-1-2-4"),
    pytest.param([(3, 2), (3, 2)], [3, 7], id="two-strided-3x3"),
    pytest.param([(3,), (3,), (3,)], [3, 5, 7], id="three-3x3-equal-a-7x7"),
    pytest.param([(1, 1, 1)], [1], id="1x1"),
    pytest.param([(2, 2), (2, 2), (2, 2)], [2, 4, 8], id="patchify"),
    pytest.param([(1, 2), (3, 1)], [1, 5], id="stride-then-kernel"),
]


@pytest.mark.parametrize(("layers", "expected"), RECEPTIVE_FIELDS)
def test_receptive_fields_edge_cases(layers, expected):
    full = [(*layer, 1, 1)[:3] for layer in layers]
    assert [measured_receptive_field(full[: m + 1]) for m in range(len(full))] == expected
    assert receptive_fields(layers) == expected
    assert receptive_field(layers) == expected[-1]


@given(layers=st.lists(layer_strategy, min_size=1, max_size=4))
def test_receptive_field_matches_one_hot_measurement(layers):
    fields = receptive_fields(layers)
    assert fields == [measured_receptive_field(layers[: m + 1]) for m in range(len(layers))]
    assert receptive_field(layers) == fields[-1]
    as_dicts = [{"kernel_size": k, "stride": s, "dilation": d} for k, s, d in layers]
    assert receptive_fields(as_dicts) == fields


def test_receptive_field_of_no_layers_is_one_input():
    assert receptive_fields([]) == []
    assert receptive_field([]) == 1
