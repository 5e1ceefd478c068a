"""Counting multiply-adds and parameters (convlib.counting): closed forms against measured counts.

Three derivations that share no code meet here: the closed forms (from a layer's
hyperparameters), the hook counts (output elements x dot-product length, read off the
tensors a layer really used), and torch's own ``FlopCounterMode`` (which counts a
multiply-add as two FLOPs). Output sizes come from ``convlib.shapes``, never rewritten.
Published numbers (the lecture's example, MobileNet's Table 3) pin the closed forms to
the papers.
"""

from __future__ import annotations

import copy
import doctest
import math
import subprocess
import sys
from fractions import Fraction

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn
from torch_oracle import message, torch_mult_adds

from convlib import counting
from convlib.counting import (
    conv_mult_adds,
    conv_params,
    conv_transpose_mult_adds,
    count_mult_adds,
    count_params,
    depthwise_mult_adds,
    depthwise_separable_mult_adds,
    depthwise_separable_params,
    depthwise_separable_ratio,
    layer_report,
    linear_mult_adds,
    linear_params,
    pointwise_mult_adds,
)
from convlib.shapes import conv_output_size, conv_transpose_output_size, effective_kernel_size

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
CONV_TRANSPOSE = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


# ----------------------------------------------------------------------------- the lecture's example


def test_lecture_example_ordinary_convolution():
    """12x12x3 input, 5x5 kernel, 8x8x256 output: 5*5*3*8*8*256 = 1,228,800 (section 3)."""
    assert conv_output_size(12, 5) == 8  # the 8x8 output is what a 5x5 kernel leaves of 12x12
    assert conv_mult_adds(3, 256, (5, 5), (8, 8)) == 5 * 5 * 3 * 8 * 8 * 256 == 1_228_800
    with torch.device("meta"):
        layer = nn.Conv2d(3, 256, 5, bias=False)
    assert count_mult_adds(layer, (1, 3, 12, 12)) == 1_228_800


def test_lecture_example_depthwise_separable_and_the_slides_slip():
    """4,800 + 49,152 = 53,952; the slide's "52,952" is a slip of one digit."""
    assert depthwise_mult_adds(3, (5, 5), (8, 8)) == 5 * 5 * 3 * 8 * 8 == 4_800
    assert pointwise_mult_adds(3, 256, (8, 8)) == 3 * 8 * 8 * 256 == 49_152
    total = depthwise_separable_mult_adds(3, 256, (5, 5), (8, 8))
    assert total == 4_800 + 49_152 == 53_952
    assert total != 52_952
    with torch.device("meta"):
        separable = nn.Sequential(nn.Conv2d(3, 3, 5, groups=3, bias=False), nn.Conv2d(3, 256, 1, bias=False))
    assert count_mult_adds(separable, (1, 3, 12, 12)) == 53_952


def test_lecture_example_ratio():
    """53,952 / 1,228,800 = 1/C_O + 1/(K1*K2) = 1/256 + 1/25."""
    ratio = depthwise_separable_ratio(256, (5, 5))
    assert isinstance(ratio, float)
    assert math.isclose(ratio, 53_952 / 1_228_800, rel_tol=1e-15)
    assert math.isclose(ratio, 1 / 256 + 1 / 25, rel_tol=1e-15)


@given(c_in=st.integers(1, 64), c_out=st.integers(1, 512), k=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       out=st.tuples(st.integers(1, 32), st.integers(1, 32)))
def test_ratio_is_separable_over_ordinary_for_any_layer(c_in, c_out, k, out):
    """The ratio does not depend on C_in or the image size: they cancel (exactly, in fractions)."""
    separable = depthwise_separable_mult_adds(c_in, c_out, k, out)
    ordinary = conv_mult_adds(c_in, c_out, k, out)
    assert Fraction(separable, ordinary) == Fraction(1, c_out) + Fraction(1, k[0] * k[1])
    assert math.isclose(depthwise_separable_ratio(c_out, k), separable / ordinary, rel_tol=1e-12)


# MobileNet paper (Howard et al. 2017), Table 3 "Resource usage for modifications to standard
# convolution": one layer on a 14x14x512 feature map with a 3x3x512x512 kernel; millions, as printed.
MOBILENET_TABLE_3 = [
    pytest.param("conv", 512, 14, 462, 2.36, id="convolution"),
    pytest.param("separable", 512, 14, 52.3, 0.27, id="depthwise-separable"),
    pytest.param("separable", 384, 14, 29.6, 0.15, id="alpha-0.75"),
    pytest.param("separable", 384, 10, 15.1, 0.15, id="rho-0.714"),  # 0.714 * 14 = 10
]


@pytest.mark.parametrize("kind, channels, size, mult_adds, params", MOBILENET_TABLE_3)
def test_mobilenet_table_3(kind, channels, size, mult_adds, params):
    if kind == "conv":
        counted = (conv_mult_adds(channels, channels, (3, 3), (size, size)),
                   conv_params(channels, channels, (3, 3)))
    else:
        counted = (depthwise_separable_mult_adds(channels, channels, (3, 3), (size, size)),
                   depthwise_separable_params(channels, channels, (3, 3)))
    digits = len(str(mult_adds).split(".")[1]) if "." in str(mult_adds) else 0
    assert round(counted[0] / 1e6, digits) == mult_adds
    assert round(counted[1] / 1e6, 2) == params


# ----------------------------------------------------------------------------- closed forms against hooks


@st.composite
def conv_layers(draw, ranks=(1, 2, 3), depthwise=False):
    """A valid nn.ConvNd (on meta) and its input size; groups divide both channel counts."""
    n = draw(st.sampled_from(ranks))
    groups = draw(st.integers(1, 4))
    c_in = groups * (1 if depthwise else draw(st.integers(1, 3)))
    c_out = groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(n))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
    # just large enough for the dilated kernel, plus a little
    size = tuple(max(1, effective_kernel_size(kk, d) - 2 * p) + draw(st.integers(0, 6))
                 for kk, d, p in zip(k, dilation, padding, strict=True))
    bias = draw(st.booleans())
    with torch.device("meta"):
        layer = CONV[n](c_in, c_out, k, stride=stride, padding=padding, dilation=dilation, groups=groups,
                        bias=bias)
    batch = draw(st.integers(1, 3))
    return layer, (batch, c_in, *size)


def output_size(layer, input_size):
    axes = zip(input_size[2:], layer.kernel_size, layer.stride, layer.padding, layer.dilation, strict=True)
    return tuple(conv_output_size(i, k, s, p, d) for i, k, s, p, d in axes)


@given(conv_layers())
def test_conv_closed_form_matches_hooks_and_torch(case):
    """Ordinary, grouped, dilated, strided, padded; 1D, 2D and 3D: one formula."""
    layer, input_size = case
    closed = input_size[0] * conv_mult_adds(layer.in_channels, layer.out_channels, layer.kernel_size,
                                            output_size(layer, input_size), groups=layer.groups)
    assert count_mult_adds(layer, input_size) == closed
    assert torch_mult_adds(layer, input_size) == closed
    assert count_params(layer) == conv_params(layer.in_channels, layer.out_channels, layer.kernel_size,
                                              groups=layer.groups, bias=layer.bias is not None)


@given(conv_layers(depthwise=True), st.integers(1, 3))
def test_depthwise_closed_form_matches_hooks(case, multiplier):
    """groups = C_in, multiplier m kernels per channel: K * C * m * output positions."""
    template, input_size = case
    channels = template.in_channels
    with torch.device("meta"):
        layer = CONV[len(template.kernel_size)](channels, channels * multiplier, template.kernel_size,
                                                stride=template.stride, padding=template.padding,
                                                dilation=template.dilation, groups=channels)
    out = output_size(layer, input_size)
    closed = input_size[0] * depthwise_mult_adds(channels, layer.kernel_size, out, multiplier=multiplier)
    assert count_mult_adds(layer, input_size) == closed
    assert torch_mult_adds(layer, input_size) == closed


@given(st.integers(1, 8), st.integers(1, 8), st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_pointwise_closed_form_matches_hooks(c_in, c_out, size):
    with torch.device("meta"):
        layer = CONV[len(size)](c_in, c_out, 1)
    closed = pointwise_mult_adds(c_in, c_out, tuple(size))
    assert count_mult_adds(layer, (1, c_in, *size)) == closed
    assert torch_mult_adds(layer, (1, c_in, *size)) == closed


@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 5), st.integers(1, 3), st.integers(1, 9))
def test_depthwise_separable_closed_form_matches_hooks(c_in, c_out, k, stride, extra):
    size = (k + extra, k + extra + 1)
    with torch.device("meta"):
        layer = nn.Sequential(nn.Conv2d(c_in, c_in, k, stride=stride, groups=c_in), nn.Conv2d(c_in, c_out, 1))
    out = tuple(conv_output_size(i, k, stride) for i in size)
    assert count_mult_adds(layer, (1, c_in, *size)) == depthwise_separable_mult_adds(c_in, c_out, (k, k), out)


@st.composite
def conv_transpose_layers(draw):
    n = draw(st.sampled_from((1, 2, 3)))
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True))
    size = tuple(draw(st.integers(2, 6)) for _ in range(n))
    # padding small enough that the output is not empty
    padding = tuple(draw(st.integers(0, ((i - 1) * s + d * (kk - 1) + a) // 2))
                    for i, s, d, kk, a in zip(size, stride, dilation, k, output_padding, strict=True))
    with torch.device("meta"):
        layer = CONV_TRANSPOSE[n](c_in, c_out, k, stride=stride, padding=padding,
                                  output_padding=output_padding, groups=groups, dilation=dilation,
                                  bias=draw(st.booleans()))
    return layer, (draw(st.integers(1, 2)), c_in, *size)


@given(conv_transpose_layers())
def test_conv_transpose_closed_form_matches_hooks_and_torch(case):
    """The scatter count depends on the input size only; stride and padding move the products."""
    layer, input_size = case
    closed = input_size[0] * conv_transpose_mult_adds(layer.in_channels, layer.out_channels,
                                                      layer.kernel_size, input_size[2:], groups=layer.groups)
    assert count_mult_adds(layer, input_size) == closed
    assert torch_mult_adds(layer, input_size) == closed
    assert count_params(layer) == conv_params(layer.in_channels, layer.out_channels, layer.kernel_size,
                                              groups=layer.groups, bias=layer.bias is not None)
    # the output it scatters into has the size convlib.shapes says
    report = layer_report(layer, input_size)
    axes = zip(input_size[2:], layer.kernel_size, layer.stride, layer.padding, layer.output_padding,
               layer.dilation, strict=True)
    assert report.rows[0].output_shape[2:] == tuple(
        conv_transpose_output_size(i, k, s, p, a, d) for i, k, s, p, a, d in axes)


@given(st.integers(1, 50), st.integers(1, 50), st.lists(st.integers(1, 4), max_size=2), st.booleans())
def test_linear_closed_form_matches_hooks(in_features, out_features, lead, bias):
    """One dot product of length in_features per output; leading axes multiply the count."""
    with torch.device("meta"):
        layer = nn.Linear(in_features, out_features, bias=bias)
    input_size = (*lead, in_features)
    closed = math.prod(lead) * linear_mult_adds(in_features, out_features)
    assert count_mult_adds(layer, input_size) == closed
    assert torch_mult_adds(layer, input_size) == closed
    assert count_params(layer) == linear_params(in_features, out_features, bias=bias)


# ----------------------------------------------------------------------------- the forms the lecture relates


@given(conv_layers())
def test_dilation_adds_no_multiply_adds(case):
    """Section 4: at the same output size a dilated convolution costs what an undilated one does."""
    layer, input_size = case
    out = output_size(layer, input_size)
    with torch.device("meta"):
        plain = CONV[len(out)](layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                               padding=layer.padding, groups=layer.groups, bias=layer.bias is not None)
    # the input that gives the same output without dilation: i = (o - 1) s + k - 2p
    axes = zip(out, layer.stride, layer.kernel_size, layer.padding, strict=True)
    plain_input = tuple((o - 1) * s + k - 2 * p for o, s, k, p in axes)
    assume(all(i >= 1 for i in plain_input))
    assert output_size(plain, (1, 1, *plain_input)) == out
    assert count_mult_adds(plain, (*input_size[:2], *plain_input)) == count_mult_adds(layer, input_size)
    assert count_params(plain) == count_params(layer)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.tuples(st.integers(1, 3), st.integers(1, 3)), st.tuples(st.integers(1, 8), st.integers(1, 8)))
def test_grouped_is_g_independent_convolutions(groups, per_in, per_out, k, out):
    """Section 5: a grouped convolution is g convolutions of C_in/g to C_out/g channels side by side."""
    c_in, c_out = groups * per_in, groups * per_out
    grouped = conv_mult_adds(c_in, c_out, k, out, groups=groups)
    assert grouped == groups * conv_mult_adds(per_in, per_out, k, out)
    assert conv_params(c_in, c_out, k, groups=groups) == groups * conv_params(per_in, per_out, k)
    assert grouped * groups == conv_mult_adds(c_in, c_out, k, out)


@given(st.integers(1, 4), st.integers(1, 4), st.tuples(*[st.integers(1, 3)] * 3),
       st.tuples(*[st.integers(1, 5)] * 3))
def test_3d_is_a_sum_of_2d_convolutions(c_in, c_out, k, out):
    """Section 6: each 3D output slice sums k_d 2D convolutions, one per kernel slice along depth."""
    k_d, o_d = k[0], out[0]
    assert conv_mult_adds(c_in, c_out, k, out) == o_d * k_d * conv_mult_adds(c_in, c_out, k[1:], out[1:])


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.tuples(*[st.integers(1, 4)] * 2),
       st.tuples(*[st.integers(1, 8)] * 2))
def test_transposed_costs_the_convolution_it_transposes(per_in, per_out, groups, k, size):
    """Section 7: C^T has the nonzeros of C, so input and output swap and the count stays."""
    c_in, c_out = groups * per_in, groups * per_out
    assert (conv_transpose_mult_adds(c_in, c_out, k, size, groups=groups)
            == conv_mult_adds(c_out, c_in, k, size, groups=groups))


def test_int_sizes_are_one_axis_and_broadcast_beside_a_tuple():
    """An int alone is a 1D size; beside a tuple it is repeated, as torch's kernel_size=3."""
    assert conv_mult_adds(3, 256, 5, 8) == 5 * 3 * 256 * 8
    assert conv_mult_adds(3, 256, 5, (8, 8)) == conv_mult_adds(3, 256, (5, 5), (8, 8))
    assert conv_mult_adds(3, 256, (5, 5), 8) == conv_mult_adds(3, 256, (5, 5), (8, 8))
    assert conv_params(3, 256, 5) == 5 * 3 * 256


def test_closed_forms_return_python_ints():
    values = [conv_mult_adds(3, 8, 3, 4), conv_params(3, 8, 3, bias=True), depthwise_mult_adds(3, 3, 4),
              pointwise_mult_adds(3, 8, 4), depthwise_separable_mult_adds(3, 8, 3, 4),
              conv_transpose_mult_adds(3, 8, 3, 4), linear_mult_adds(3, 8), linear_params(3, 8),
              depthwise_separable_params(3, 8, 3)]
    assert all(type(v) is int for v in values)


# ----------------------------------------------------------------------------- what is counted, and how


def test_only_convolution_and_linear_are_counted():
    """Bias, batch norm, activation and pooling cost nothing in the convention; their parameters count."""
    with torch.device("meta"):
        model = nn.Sequential(nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.Dropout())
        with_bias = nn.Conv2d(4, 8, 3, bias=True)
        without = nn.Conv2d(4, 8, 3, bias=False)
    assert count_mult_adds(model, (1, 4, 8, 8)) == 0
    assert count_params(model) == 8  # batch norm's scale and shift; not its running statistics
    assert count_mult_adds(with_bias, (1, 4, 8, 8)) == count_mult_adds(without, (1, 4, 8, 8))


def test_meta_and_cpu_runs_count_the_same():
    """The meta device only skips the arithmetic: the layers, shapes and counts are those of a real run."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, groups=3), nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout(),
                          nn.ConvTranspose2d(6, 4, 3, stride=2), nn.Flatten(), nn.Linear(4 * 11 * 11, 5))
    meta = layer_report(model, (2, 3, 7, 7))
    cpu = layer_report(model, (2, 3, 7, 7), device="cpu")
    assert meta == cpu
    assert meta.total_mult_adds == torch_mult_adds(copy.deepcopy(model), (2, 3, 7, 7))
    # a model built on meta can still be run for real, on zeros
    assert layer_report(copy.deepcopy(model).to("meta"), (2, 3, 7, 7), device="cpu") == cpu


def test_counting_does_not_change_the_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.Dropout(), nn.Flatten(),
                          nn.Linear(6 * 25, 5))
    model.train()
    before = {name: t.clone() for name, t in model.state_dict().items()}
    params = list(model.parameters())
    for device in ("meta", "cpu"):
        layer_report(model, (2, 3, 7, 7), device=device)
    assert model.training and all(m.training for m in model.modules())
    assert all(p is q for p, q in zip(model.parameters(), params, strict=True))
    for name, t in model.state_dict().items():
        assert t.device.type == "cpu"
        assert torch.equal(t, before[name]), f"{name} changed (batch norm statistics must not be updated)"


def test_report_rows_add_up_to_the_totals():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                              nn.Conv2d(8, 8, 3, groups=8), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(8, 10))
    report = layer_report(model, (1, 3, 16, 16))
    assert [(r.layer, r.kind) for r in report.rows] == [
        ("0", "Conv2d"), ("1", "BatchNorm2d"), ("3", "Conv2d"), ("6", "Linear")]
    assert [r.output_shape for r in report] == [(1, 8, 16, 16), (1, 8, 16, 16), (1, 8, 14, 14), (1, 10)]
    assert sum(r.mult_adds for r in report) == report.total_mult_adds
    assert report.total_mult_adds == count_mult_adds(model, (1, 3, 16, 16))
    assert sum(r.params for r in report) == report.total_params == count_params(model)
    assert math.isclose(sum(r.mult_adds_share for r in report), 1.0)
    assert math.isclose(sum(r.params_share for r in report), 1.0)
    assert report.rows[0].mult_adds == conv_mult_adds(3, 8, 3, (16, 16))
    assert len(report) == 4


def test_report_prints_as_a_table():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 256, 5, bias=False))
    text = str(layer_report(model, (1, 3, 12, 12)))
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "mult-adds", "params",
                                "%", "mult-adds", "%", "params"]
    assert lines[2].split() == ["0", "Conv2d", "1x256x8x8", "1,228,800", "19,200", "100.00", "100.00"]
    assert lines[-1].split()[0] == "total" and "1,228,800" in lines[-1]


def test_a_layer_called_twice_counts_twice_and_its_parameters_once():
    with torch.device("meta"):
        shared = nn.Linear(4, 4)
        model = nn.Sequential(shared, nn.ReLU(), shared)
    report = layer_report(model, (1, 4))
    assert [r.mult_adds for r in report] == [16, 16]
    assert [r.params for r in report] == [20, 0]
    assert report.total_params == count_params(model) == 20


def test_tied_weights_are_counted_once_and_stay_tied():
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight
    model = nn.Sequential(first, second)
    assert count_params(model) == 16 + 4 + 4
    report = layer_report(model, (1, 4))
    assert sum(r.params for r in report) == 24
    assert second.weight is first.weight


def test_parameters_outside_the_forward_pass_get_their_own_row():
    """An unused head (GoogLeNet's auxiliary classifiers at inference, say) still has parameters."""

    class WithUnusedHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(4, 4)
            self.unused = nn.Linear(4, 2)
            self.scale = nn.Parameter(torch.ones(3))

        def forward(self, x):
            return self.body(x)

    report = layer_report(WithUnusedHead(), (1, 4))
    assert report.rows[-1].layer == "(not in forward)"
    assert report.rows[-1].params == 10 + 3
    assert sum(r.params for r in report) == count_params(WithUnusedHead()) == 20 + 13


def test_counting_module_imports_without_torch():
    """The explorer uses the closed forms in a kernel that may never load torch."""
    code = ("import sys; import convlib.counting as c; assert 'torch' not in sys.modules, 'torch imported'; "
            "print(c.conv_mult_adds(3, 256, (5, 5), (8, 8)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1228800"


def test_docstring_examples():
    assert doctest.testmod(counting, optionflags=doctest.ELLIPSIS).failed == 0


# ----------------------------------------------------------------------------- bad input

BAD_CLOSED_FORMS = [
    pytest.param(conv_mult_adds, (4, 6, 3, 5), {"groups": 3}, ("in_channels", 4, "groups", 3),
                 id="groups-not-dividing-in-channels"),
    pytest.param(conv_mult_adds, (6, 4, 3, 5), {"groups": 3}, ("out_channels", 4, "groups", 3),
                 id="groups-not-dividing-out-channels"),
    pytest.param(conv_mult_adds, (3, 4, (3, 3), (5, 5, 5)), {}, ("kernel_size", "output_size", 2, 3),
                 id="ranks-differ"),
    pytest.param(conv_mult_adds, (3, 4, 0, 5), {}, ("kernel_size", 0, "positive"), id="zero-kernel"),
    pytest.param(conv_mult_adds, (3, 4, (), 5), {}, ("kernel_size", "positive"), id="empty-kernel"),
    pytest.param(conv_mult_adds, (0, 4, 3, 5), {}, ("in_channels", 0, "positive"), id="zero-channels"),
    pytest.param(conv_mult_adds, (3, 4, 3, (5, 2.5)), {}, ("output_size", "positive"), id="float-size"),
    pytest.param(conv_params, (3, 4, 3), {"bias": 1}, ("bias", "True or False"), id="bias-not-bool"),
    pytest.param(depthwise_mult_adds, (3, 3, 5), {"multiplier": 0}, ("multiplier", 0, "positive"),
                 id="zero-multiplier"),
    pytest.param(depthwise_separable_ratio, (0, 3), {}, ("out_channels", 0, "positive"), id="ratio-zero"),
    pytest.param(conv_transpose_mult_adds, (4, 6, 3, 5), {"groups": 4}, ("out_channels", 6, "groups", 4),
                 id="transpose-groups"),
    pytest.param(linear_mult_adds, (True, 3), {}, ("in_features", "positive"), id="bool-is-not-a-size"),
    pytest.param(linear_params, (3, 0), {}, ("out_features", 0, "positive"), id="linear-params"),
    pytest.param(pointwise_mult_adds, (3, 4, -1), {}, ("output_size", "positive"), id="negative-size"),
    pytest.param(pointwise_mult_adds, (3, 0, 4), {}, ("out_channels", 0, "positive"), id="pointwise-out"),
    pytest.param(depthwise_separable_mult_adds, (0, 4, 3, 5), {}, ("in_channels", 0), id="separable-in"),
    pytest.param(depthwise_separable_mult_adds, (3, 0, 3, 5), {}, ("out_channels", 0), id="separable-out"),
    pytest.param(depthwise_separable_params, (3, -2, 3), {}, ("out_channels", -2), id="separable-params"),
]


@pytest.mark.parametrize("function, args, kwargs, parts", BAD_CLOSED_FORMS)
def test_closed_forms_reject_bad_input(function, args, kwargs, parts):
    with pytest.raises(ValueError, match=message(function.__name__, *parts)):
        function(*args, **kwargs)


def test_measured_counts_reject_bad_input():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=message("count_mult_adds", "model", "torch.nn.Module", "function")):
        count_mult_adds(lambda x: x, (1, 2))
    with pytest.raises(TypeError, match=message("count_params", "model", "str")):
        count_params("vgg16")
    for bad in [(), (1, 0), 224, (1, 2.0), "1x2"]:
        with pytest.raises(ValueError, match=message("count_mult_adds", "input_size", "positive ints")):
            count_mult_adds(layer, bad)
    with pytest.raises(ValueError, match=message("layer_report", "device", "gpu0")):
        layer_report(layer, (1, 2), device="gpu0")
