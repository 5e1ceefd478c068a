"""Every bad input raises ValueError (TypeError for a non-numeric array) with a message that
starts with the function's name and names the argument, the value and the rule.

Where torch.nn.functional has the same function, the same call must be rejected by torch
too: we refuse nothing that torch accepts, and accept nothing that torch refuses.
"""

import re

import numpy as np
import pytest
from torch_oracle import both_raise, conv_name, conv_transpose_name, message

import convlib


def z(*shape):
    return np.zeros(shape)


NON_NEGATIVE = re.compile(r"non-negative|>= ?0")
POSITIVE = re.compile(r"positive|>= ?1|> ?0")
LARGER = re.compile(r"larger|greater|exceed|bigger")
CHANNELS = re.compile(r"channels?")
DIVISIBLE = re.compile(r"divisible|divide|multiple")

# (function, positional args, keyword args, what the message must mention)
# Every row is also rejected by torch.nn.functional.<function>.
SHARED_WITH_TORCH = [
    # channels and groups
    pytest.param("conv2d", (z(1, 3, 5, 5), z(4, 4, 3, 3)), {}, ("input", 3, 4, CHANNELS),
                 id="conv2d-channel-mismatch"),
    pytest.param("conv2d", (z(3, 5, 5), z(4, 4, 3, 3)), {}, ("input", 3, 4, CHANNELS),
                 id="conv2d-channel-mismatch-unbatched"),
    pytest.param("conv2d", (z(1, 4, 5, 5), z(6, 2, 3, 3)), {"groups": 3}, ("groups", 3, 4),
                 id="conv2d-groups-not-dividing-in-channels"),
    pytest.param("conv2d", (z(1, 4, 5, 5), z(3, 2, 3, 3)), {"groups": 2}, ("groups", 2, 3, DIVISIBLE),
                 id="conv2d-groups-not-dividing-out-channels"),
    pytest.param("conv2d", (z(1, 4, 5, 5), z(4, 4, 3, 3)), {"groups": 0}, ("groups", 0, POSITIVE),
                 id="conv2d-groups-zero"),
    pytest.param("conv2d", (z(1, 4, 5, 5), z(4, 4, 3, 3)), {"groups": -1}, ("groups", -1, POSITIVE),
                 id="conv2d-groups-negative"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3), z(2)), {}, ("bias", 2),
                 id="conv2d-bias-length"),
    # kernel larger than the padded input
    pytest.param("conv2d", (z(1, 1, 2, 2), z(1, 1, 3, 3)), {}, ("kernel", 3, 2, LARGER),
                 id="conv2d-kernel-larger-than-input"),
    pytest.param("conv2d", (z(1, 1, 2, 7), z(1, 1, 5, 5)), {"padding": 1}, ("kernel", 5, 4, LARGER),
                 id="conv2d-kernel-larger-than-padded-input"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"dilation": 2},
                 (re.compile("dilat"), 5, 4, LARGER),
                 id="conv2d-dilated-kernel-larger-than-input"),
    pytest.param("conv1d", (z(1, 1, 2), z(1, 1, 3)), {"padding": "valid"}, ("kernel", 3, 2, LARGER),
                 id="conv1d-kernel-larger-than-input-valid"),
    # stride, dilation, padding out of range
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": 0}, ("stride", 0, POSITIVE),
                 id="conv2d-stride-zero"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": -1}, ("stride", -1, POSITIVE),
                 id="conv2d-stride-negative"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": (1, 0)}, ("stride", 0, POSITIVE),
                 id="conv2d-stride-tuple-with-zero"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": (1, 2, 3)}, ("stride", "(1, 2, 3)"),
                 id="conv2d-stride-tuple-wrong-length"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": 1.5}, ("stride", "1.5"),
                 id="conv2d-stride-float"),
    pytest.param("conv2d", (z(1, 1, 7, 7), z(1, 1, 3, 3)), {"dilation": 0}, ("dilation", 0, POSITIVE),
                 id="conv2d-dilation-zero"),
    pytest.param("conv2d", (z(1, 1, 7, 7), z(1, 1, 3, 3)), {"dilation": -2}, ("dilation", -2, POSITIVE),
                 id="conv2d-dilation-negative"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"padding": -1}, ("padding", -1, NON_NEGATIVE),
                 id="conv2d-padding-negative"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"padding": (1, -1)},
                 ("padding", -1, NON_NEGATIVE), id="conv2d-padding-tuple-negative"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"padding": "full"}, ("padding", "full"),
                 id="conv2d-padding-unknown-string"),
    pytest.param("conv2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"padding": "same", "stride": 2},
                 ("same", "stride", 2), id="conv2d-same-with-stride-2"),
    pytest.param("conv1d", (z(1, 1, 4), z(1, 1, 3)), {"padding": "same", "stride": (3,)},
                 ("same", "stride", 3), id="conv1d-same-with-stride-tuple-3"),
    # rank
    pytest.param("conv2d", (z(5, 5), z(1, 1, 3, 3)), {}, ("input", re.compile(r"\b2\b|\(5, 5\)")),
                 id="conv2d-input-rank-2"),
    pytest.param("conv2d", (z(1, 1, 1, 5, 5), z(1, 1, 3, 3)), {},
                 ("input", re.compile(r"\b5\b|\(1, 1, 1, 5, 5\)")),
                 id="conv2d-input-rank-5"),
    pytest.param("conv2d", (z(1, 1, 5, 5), z(1, 3, 3)), {}, ("weight", re.compile(r"\b3\b|\(1, 3, 3\)")),
                 id="conv2d-weight-rank-3"),
    pytest.param("conv1d", (z(1, 1, 5, 5), z(1, 1, 3)), {}, ("input", re.compile(r"\b4\b|\(1, 1, 5, 5\)")),
                 id="conv1d-input-rank-4"),
    pytest.param("conv3d", (z(1, 5, 5), z(1, 1, 3, 3, 3)), {}, ("input", re.compile(r"\b3\b|\(1, 5, 5\)")),
                 id="conv3d-input-rank-3"),
    # transposed
    pytest.param("conv_transpose2d", (z(1, 2, 4, 4), z(1, 1, 3, 3)), {}, ("input", 2, 1, CHANNELS),
                 id="conv_transpose2d-channel-mismatch"),
    pytest.param("conv_transpose2d", (z(1, 4, 4, 4), z(4, 1, 3, 3)), {"groups": 3}, ("groups", 3, 4),
                 id="conv_transpose2d-groups-not-dividing-in-channels"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": 2, "output_padding": 2},
                 ("output_padding", 2, "stride", "dilation"),
                 id="conv_transpose2d-output-padding-equals-stride"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"output_padding": 1},
                 ("output_padding", 1, "stride", "dilation"),
                 id="conv_transpose2d-output-padding-at-stride-1"),
    pytest.param("conv_transpose1d", (z(1, 1, 4), z(1, 1, 3)),
                 {"stride": 3, "dilation": 2, "output_padding": 3},
                 ("output_padding", 3, "stride", "dilation"),
                 id="conv_transpose1d-output-padding-equals-max"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)),
                 {"stride": (2, 1), "output_padding": (1, 1)},
                 ("output_padding", "stride", "dilation"), id="conv_transpose2d-output-padding-per-axis"),
    pytest.param("conv_transpose2d", (z(1, 1, 1, 1), z(1, 1, 1, 1)), {"padding": 1}, ("padding", 1),
                 id="conv_transpose2d-output-empty"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"padding": -1},
                 ("padding", -1, NON_NEGATIVE), id="conv_transpose2d-padding-negative"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"padding": "same"},
                 ("padding", "same"), id="conv_transpose2d-padding-string"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": 0}, ("stride", 0, POSITIVE),
                 id="conv_transpose2d-stride-zero"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"dilation": 0},
                 ("dilation", 0, POSITIVE), id="conv_transpose2d-dilation-zero"),
    pytest.param("conv_transpose2d", (z(4, 4), z(1, 1, 3, 3)), {}, ("input", re.compile(r"\b2\b|\(4, 4\)")),
                 id="conv_transpose2d-input-rank-2"),
    pytest.param("conv_transpose2d", (z(1, 1, 4, 4), z(1, 1, 3, 3), z(3)), {}, ("bias", 3),
                 id="conv_transpose2d-bias-length"),
    # channel shuffle
    pytest.param("channel_shuffle", (z(2, 6, 3), 4), {}, ("groups", 4, 6, DIVISIBLE),
                 id="channel_shuffle-groups-not-dividing"),
    pytest.param("channel_shuffle", (z(2, 6, 3), 0), {}, ("groups", 0, POSITIVE),
                 id="channel_shuffle-groups-zero"),
    pytest.param("channel_shuffle", (z(6), 3), {}, ("input", re.compile(r"\b1\b|\(6,\)")),
                 id="channel_shuffle-input-rank-1"),
]


@pytest.mark.parametrize(("fn", "args", "kwargs", "parts"), SHARED_WITH_TORCH)
def test_bad_input_rejected_like_torch(fn, args, kwargs, parts):
    both_raise(fn, *args, match=message(fn, *parts), **kwargs)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_wrapper_names_itself(n):
    """conv1d/2d/3d and conv_transpose1d/2d/3d are thin wrappers, but the message must
    name the function the user called, not the general one behind it."""
    k = (3,) * n
    for fn, weight in ((conv_name(n), z(2, 3, *k)), (conv_transpose_name(n), z(3, 2, *k))):
        x = z(1, 3, *(5,) * n)
        both_raise(fn, x, weight, stride=0, match=message(fn, "stride", 0, POSITIVE))
        both_raise(fn, z(1, 4, *(5,) * n), weight, match=message(fn, "input", 4, 3, CHANNELS))
        both_raise(fn, z(*(5,) * n), weight, match=message(fn, "input"))


# Rows for functions that torch does not have (or names differently).
OURS_ONLY = [
    # the general N-d forms
    pytest.param("conv", (z(1, 3, 5, 5), z(4, 4, 3, 3)), {}, ("input", 3, 4, CHANNELS),
                 id="conv-channel-mismatch"),
    pytest.param("conv", (z(1, 3, 5, 5), z(4, 3)), {}, ("weight",), id="conv-weight-without-spatial-axes"),
    pytest.param("conv", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": 0}, ("stride", 0, POSITIVE),
                 id="conv-stride-zero"),
    pytest.param("conv_transpose", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"stride": 2, "output_padding": 2},
                 ("output_padding", 2), id="conv_transpose-output-padding"),
    pytest.param("conv_naive", (z(1, 1, 2, 2), z(1, 1, 3, 3)), {}, ("kernel", 3, 2, LARGER),
                 id="conv_naive-kernel-larger"),
    pytest.param("conv2d_naive", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"dilation": 0}, ("dilation", 0, POSITIVE),
                 id="conv2d_naive-dilation-zero"),
    pytest.param("conv_transpose_naive", (z(1, 1, 4, 4), z(1, 1, 3, 3)), {"output_padding": 1},
                 ("output_padding", 1), id="conv_transpose_naive-output-padding"),
    pytest.param("conv_transpose_zero_insertion", (z(1, 2, 4, 4), z(1, 1, 3, 3)), {},
                 ("input", 2, 1, CHANNELS),
                 id="conv_transpose_zero_insertion-channel-mismatch"),
    # one output element
    pytest.param("conv_element", (z(1, 5, 5), z(2, 1, 3, 3), (2, 0, 0)), {}, ("out_index", 2),
                 id="conv_element-channel-out-of-range"),
    pytest.param("conv_element", (z(1, 5, 5), z(2, 1, 3, 3), (0, 3, 0)), {}, ("out_index", 3),
                 id="conv_element-position-out-of-range"),
    pytest.param("conv_element", (z(1, 5, 5), z(2, 1, 3, 3), (0, 0)), {}, ("out_index",),
                 id="conv_element-index-too-short"),
    pytest.param("conv_element", (z(1, 5, 5), z(2, 1, 3, 3), (0, 0, 0)), {"stride": 0},
                 ("stride", 0, POSITIVE),
                 id="conv_element-stride-zero"),
    # separable
    pytest.param("depthwise_conv", (z(1, 2, 5, 5), z(2, 2, 3, 3)), {}, ("weight", 2),
                 id="depthwise_conv-weight-not-one-channel-per-filter"),
    pytest.param("depthwise_conv", (z(1, 2, 5, 5), z(3, 1, 3, 3)), {}, ("weight", 3, 2),
                 id="depthwise_conv-filters-not-multiple-of-channels"),
    pytest.param("pointwise_conv", (z(1, 2, 5, 5), z(4, 2, 3, 3)), {}, ("weight", 3),
                 id="pointwise_conv-kernel-not-1x1"),
    pytest.param("pointwise_conv", (z(1, 2, 5, 5), z(4, 3, 1, 1)), {}, ("input", 2, 3, CHANNELS),
                 id="pointwise_conv-channel-mismatch"),
    pytest.param("depthwise_separable_conv", (z(1, 2, 5, 5), z(2, 1, 3, 3), z(4, 3, 1, 1)), {},
                 ("pointwise_weight", 2, 3), id="depthwise_separable_conv-pointwise-channels"),
    pytest.param("depthwise_separable_conv", (z(1, 2, 5, 5), z(2, 1, 3, 3), z(4, 2, 1, 1)), {"stride": 0},
                 ("stride", 0, POSITIVE), id="depthwise_separable_conv-stride-zero"),
    # dilation and zero insertion
    pytest.param("dilate_kernel", (z(1, 1, 3, 3), 0), {}, ("dilation", 0, POSITIVE), id="dilate_kernel-zero"),
    pytest.param("insert_zeros", (z(1, 1, 3, 3), -1), {}, ("z", -1, NON_NEGATIVE),
                 id="insert_zeros-negative"),
    pytest.param("zero_insert_and_pad", (z(1, 1, 3, 3), (3, 3)), {"stride": 2, "output_padding": 2},
                 ("output_padding", 2), id="zero_insert_and_pad-output-padding"),
    # the convolution matrix
    pytest.param("conv_matrix", ((3, 5, 5), z(4, 4, 3, 3)), {}, ("input", 3, 4, CHANNELS),
                 id="conv_matrix-channel-mismatch"),
    pytest.param("conv_matrix", ((1, 2, 2), z(1, 1, 3, 3)), {}, ("kernel", 3, 2, LARGER),
                 id="conv_matrix-kernel-larger"),
    pytest.param("conv_matrix", ((1, 5, 5), z(1, 1, 3, 3)), {"padding": -1}, ("padding", -1, NON_NEGATIVE),
                 id="conv_matrix-padding-negative"),
    # output-size arithmetic
    pytest.param("conv_output_size", (0, 3), {}, ("i", 0, POSITIVE), id="conv_output_size-i-zero"),
    pytest.param("conv_output_size", (5, 0), {}, ("k", 0, POSITIVE), id="conv_output_size-k-zero"),
    pytest.param("conv_output_size", (5, 3), {"stride": 0}, ("stride", 0, POSITIVE),
                 id="conv_output_size-stride"),
    pytest.param("conv_output_size", (5, 3), {"padding": -1}, ("padding", -1, NON_NEGATIVE),
                 id="conv_output_size-padding"),
    pytest.param("conv_output_size", (5, 3), {"dilation": 0}, ("dilation", 0, POSITIVE),
                 id="conv_output_size-dilation"),
    pytest.param("conv_output_size", (2, 3), {}, ("kernel", 3, 2, LARGER),
                 id="conv_output_size-kernel-larger"),
    pytest.param("conv_output_size", (4, 3), {"dilation": 2}, (5, 4, LARGER),
                 id="conv_output_size-dilated-larger"),
    pytest.param("conv_transpose_output_size", (4, 3), {"stride": 2, "output_padding": 2},
                 ("output_padding", 2, "stride", "dilation"), id="conv_transpose_output_size-output-padding"),
    pytest.param("conv_transpose_output_size", (1, 1), {"padding": 1}, ("padding", 1),
                 id="conv_transpose_output_size-empty"),
    pytest.param("conv_remainder", (2, 3), {}, ("kernel", 3, 2, LARGER), id="conv_remainder-kernel-larger"),
    pytest.param("effective_kernel_size", (3, 0), {}, ("dilation", 0, POSITIVE),
                 id="effective_kernel_size-dilation"),
    pytest.param("kernel_positions", (-1, 3), {}, ("index", -1, NON_NEGATIVE), id="kernel_positions-index"),
    pytest.param("same_padding", (0,), {}, ("k", 0, POSITIVE), id="same_padding-k-zero"),
    pytest.param("receptive_field", ([(3, 1), (0, 1)],), {}, ("layers[1]", 0, POSITIVE),
                 id="receptive_field-kernel-zero"),
    pytest.param("receptive_field", ([{"kernel_size": 3, "padding": 1}],), {}, ("layers[0]", "padding"),
                 id="receptive_field-unknown-key"),
    pytest.param("zero_insertion_params", (3, 3), {"stride": 1, "output_padding": 1}, ("output_padding", 1),
                 id="zero_insertion_params-output-padding"),
]


@pytest.mark.parametrize(("fn", "args", "kwargs", "parts"), OURS_ONLY)
def test_bad_input_raises_value_error(fn, args, kwargs, parts):
    with pytest.raises(ValueError, match=message(fn, *parts)):
        getattr(convlib, fn)(*args, **kwargs)


NON_NUMERIC = [
    pytest.param(np.array([[["a", "b"]]]), id="strings"),
    pytest.param(np.array([[[None, 1.0]]], dtype=object), id="objects"),
    pytest.param(np.ones((1, 1, 2), dtype=bool), id="booleans"),
]
FINE = np.ones((1, 1, 1))

# (function, argument, call with the bad array in that argument)
TAKES_ARRAYS = [
    pytest.param("conv1d", "input", lambda bad: convlib.conv1d(bad, FINE), id="conv1d-input"),
    pytest.param("conv1d", "weight", lambda bad: convlib.conv1d(FINE, bad), id="conv1d-weight"),
    pytest.param("conv1d", "bias", lambda bad: convlib.conv1d(FINE, FINE, bad[0, 0, :1]), id="conv1d-bias"),
    pytest.param("conv_transpose1d", "input", lambda bad: convlib.conv_transpose1d(bad, FINE),
                 id="conv_transpose1d-input"),
    pytest.param("conv_naive", "input", lambda bad: convlib.conv_naive(bad, FINE), id="conv_naive-input"),
    pytest.param("depthwise_conv", "input", lambda bad: convlib.depthwise_conv(bad, FINE),
                 id="depthwise_conv-input"),
    pytest.param("channel_shuffle", "input", lambda bad: convlib.channel_shuffle(bad, 1),
                 id="channel_shuffle-input"),
    pytest.param("dilate_kernel", "weight", lambda bad: convlib.dilate_kernel(bad, 2),
                 id="dilate_kernel-weight"),
    pytest.param("insert_zeros", "input", lambda bad: convlib.insert_zeros(bad, 1), id="insert_zeros-input"),
    pytest.param("conv_matrix", "weight", lambda bad: convlib.conv_matrix((1, 2), bad),
                 id="conv_matrix-weight"),
]


@pytest.mark.parametrize("bad", NON_NUMERIC)
@pytest.mark.parametrize(("fn", "argument", "call"), TAKES_ARRAYS)
def test_non_numeric_arrays_raise_type_error(fn, argument, call, bad):
    with pytest.raises(TypeError, match=message(fn, argument, str(bad.dtype))):
        call(bad)
