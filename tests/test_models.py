"""The rebuilt networks (convlib.models) against their papers' own architecture tables.

Every network is counted on the meta device (shapes only, milliseconds), and its
per-layer shapes, multiply-adds and parameters are compared with the numbers its paper
prints. Where a printed number disagrees with the paper's own layer widths, the test
says which number, by how much, and asserts the disagreement, so that a change to the
architecture that "fixes" the number fails. A real forward pass runs only on the
cheap networks: two cores are slow for VGG-16.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch_oracle import message, torch_mult_adds

import convlib
from convlib import models
from convlib.counting import conv_mult_adds, count_mult_adds, count_params, layer_report, linear_mult_adds
from convlib.shapes import conv_output_size


def on_meta(build, *args, **kwargs):
    with torch.device("meta"):
        return build(*args, **kwargs)


def grouped(report, depth):
    """Multiply-adds and parameters summed over layers sharing the first ``depth`` parts of their name."""
    totals = {}
    for row in report.rows:
        key = ".".join(row.layer.split(".")[:depth])
        mult_adds, params = totals.get(key, (0, 0))
        totals[key] = (mult_adds + row.mult_adds, params + row.params)
    return totals


def without_batch_norm(model) -> int:
    """Parameters of convolutions and linear layers only, as MobileNet's tables count them."""
    return count_params(model) - sum(p.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d)
                                     for p in m.parameters())


def printed_round(value: float, printed: float) -> bool:
    """``value`` rounds to ``printed`` at the number of decimals it is printed with."""
    decimals = len(repr(printed).split(".")[1]) if isinstance(printed, float) else 0
    return round(value, decimals) == printed


# ----------------------------------------------------------------------------- every model runs


ALL_MODELS = [
    pytest.param(models.mobilenet_v1, {}, id="mobilenet"),
    pytest.param(models.shufflenet_v1, {}, id="shufflenet"),
    pytest.param(models.vgg16, {}, id="vgg16"),
    pytest.param(models.googlenet, {}, id="googlenet"),
    pytest.param(models.alexnet, {}, id="alexnet"),
    pytest.param(models.squeezenet, {}, id="squeezenet"),
]


@pytest.mark.parametrize("build, kwargs", ALL_MODELS)
def test_every_model_maps_one_image_to_num_classes_logits(build, kwargs):
    model = on_meta(build, num_classes=17, **kwargs)
    with torch.no_grad():
        out = model.eval()(torch.zeros(model.input_size, device="meta"))
    assert tuple(out.shape) == (1, 17)


CHEAP_FORWARD = [
    pytest.param(lambda: models.mobilenet_v1(0.25, num_classes=10), (1, 3, 224, 224), id="mobilenet-224"),
    pytest.param(lambda: models.mobilenet_v1(0.5, num_classes=10), (2, 3, 97, 130), id="mobilenet-any-size"),
    pytest.param(lambda: models.shufflenet_v1(8, 0.5, num_classes=10), (1, 3, 224, 224), id="shufflenet-g8"),
    pytest.param(lambda: models.shufflenet_v1(3, 1.0, num_classes=10), (1, 3, 224, 224), id="shufflenet-g3"),
    pytest.param(lambda: models.squeezenet(num_classes=10), (1, 3, 227, 227), id="squeezenet"),
]


@pytest.mark.parametrize("build, input_size", CHEAP_FORWARD)
def test_forward_on_real_tensors(build, input_size):
    """On the CPU for the cheap networks: finite logits, and the meta count equals a real run's."""
    torch.manual_seed(0)
    model = build().eval()
    with torch.no_grad():
        out = model(torch.randn(input_size))
    assert tuple(out.shape) == (input_size[0], 10)
    assert torch.isfinite(out).all()
    assert count_mult_adds(model, input_size) == count_mult_adds(model, input_size, device="cpu")


def test_channel_shuffle_matches_torch_and_the_numpy_core():
    x = torch.arange(2 * 12 * 2 * 3, dtype=torch.float64).reshape(2, 12, 2, 3)
    for groups in (1, 2, 3, 4, 6, 12):
        ours = models.ChannelShuffle(groups)(x)
        assert torch.equal(ours, nn.ChannelShuffle(groups)(x))
        np.testing.assert_array_equal(ours.numpy(), convlib.channel_shuffle(x.numpy(), groups))


def test_depthwise_separable_layer_is_depthwise_then_pointwise():
    layer = on_meta(models.DepthwiseSeparable, 32, 64, stride=2)
    depthwise, pointwise = layer.depthwise.conv, layer.pointwise.conv
    assert (depthwise.groups, depthwise.kernel_size, depthwise.stride) == (32, (3, 3), (2, 2))
    assert (pointwise.in_channels, pointwise.out_channels, pointwise.kernel_size) == (32, 64, (1, 1))
    report = layer_report(layer, (1, 32, 112, 112))
    assert report.rows[-1].output_shape == (1, 64, 56, 56)


def test_shuffle_unit_adds_at_stride_1_and_concatenates_at_stride_2():
    unit = on_meta(models.ShuffleUnit, 240, 480, groups=3, stride=2)
    assert unit.expand.conv.out_channels == 480 - 240  # the pooled input supplies the other 240
    assert unit.compress.conv.out_channels == 480 // 4  # bottleneck: a quarter of the output
    with torch.no_grad():
        assert tuple(unit(torch.zeros(1, 240, 28, 28, device="meta")).shape) == (1, 480, 14, 14)
        same = on_meta(models.ShuffleUnit, 480, 480, groups=3)
        assert tuple(same(torch.zeros(1, 480, 14, 14, device="meta")).shape) == (1, 480, 14, 14)


# ----------------------------------------------------------------------------- MobileNet


# MobileNet paper (Howard et al. 2017), Table 1 "MobileNet Body Architecture", as printed:
# (depthwise?, stride, kernel, in_channels, out_channels, input size).
MOBILENET_TABLE_1 = [
    (False, 2, 3, 3, 32, 224),
    (True, 1, 3, 32, 32, 112), (False, 1, 1, 32, 64, 112),
    (True, 2, 3, 64, 64, 112), (False, 1, 1, 64, 128, 56),
    (True, 1, 3, 128, 128, 56), (False, 1, 1, 128, 128, 56),
    (True, 2, 3, 128, 128, 56), (False, 1, 1, 128, 256, 28),
    (True, 1, 3, 256, 256, 28), (False, 1, 1, 256, 256, 28),
    (True, 2, 3, 256, 256, 28), (False, 1, 1, 256, 512, 14),
    *[(True, 1, 3, 512, 512, 14), (False, 1, 1, 512, 512, 14)] * 5,
    (True, 2, 3, 512, 512, 14), (False, 1, 1, 512, 1024, 7),
    (True, 2, 3, 1024, 1024, 7),  # the slip: printed "Conv dw / s2"
    (False, 1, 1, 1024, 1024, 7),
]
SLIP_ROW = 25


def test_mobilenet_follows_table_1_except_its_slip():
    """Every convolution has Table 1's kernel, channels, stride and input size, except one stride."""
    model = on_meta(models.mobilenet_v1)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    rows = [r for r in layer_report(model, model.input_size).rows if r.kind == "Conv2d"]
    inputs = [224] + [r.output_shape[-1] for r in rows[:-1]]
    assert len(convs) == len(MOBILENET_TABLE_1) == 27
    disagreements = []
    for index, (conv, size, printed) in enumerate(zip(convs, inputs, MOBILENET_TABLE_1, strict=True)):
        depthwise = conv.groups == conv.in_channels > 1
        ours = (depthwise, conv.stride[0], conv.kernel_size[0], conv.in_channels, conv.out_channels, size)
        if ours != printed:
            disagreements.append((index, ours, printed))
    assert disagreements == [(SLIP_ROW, (True, 1, 3, 1024, 1024, 7), MOBILENET_TABLE_1[SLIP_ROW])]
    # The table contradicts itself there: at stride 2 a 7x7 input becomes 4x4, but the next row's
    # input (and the 7x7 average pool's) is printed 7x7.
    assert conv_output_size(7, 3, stride=2, padding=1) == 4 != MOBILENET_TABLE_1[SLIP_ROW + 1][5]
    assert rows[-1].output_shape == (1, 1024, 7, 7)


def test_mobilenet_table_1_slip_as_printed_would_miss_the_published_count():
    """With stride 2 the count is 533.8M, 6.2% below the 569M of Tables 6-8; with stride 1 it is 568.7M."""
    layers = models.MOBILENET_V1_LAYERS[:-1] + ((1024, 2),)
    as_printed = on_meta(models.MobileNetV1, layers=layers)
    corrected = on_meta(models.mobilenet_v1)
    # the two literals are torch's own FLOP count too, not only ours
    for model, count in [(as_printed, 533_833_216), (corrected, 568_740_352)]:
        assert count_mult_adds(model, (1, 3, 224, 224)) == torch_mult_adds(model, (1, 3, 224, 224)) == count
    assert abs(533_833_216 / 569e6 - 1) > 0.06 > 0.001 > abs(568_740_352 / 569e6 - 1)


# MobileNet paper, Table 6 "MobileNet Width Multiplier" (alpha, million mult-adds, million
# parameters) at 224, and Table 7 "MobileNet Resolution" (resolution, million mult-adds) at alpha 1.
MOBILENET_WIDTHS = [(1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)]
MOBILENET_RESOLUTIONS = [(224, 569, 568.7), (192, 418, 418.1), (160, 290, 290.7), (128, 186, 186.4)]


@pytest.mark.parametrize("alpha, mult_adds, params", MOBILENET_WIDTHS)
def test_mobilenet_width_multiplier_table(alpha, mult_adds, params):
    model = on_meta(models.mobilenet_v1, alpha)
    assert round(count_mult_adds(model, (1, 3, 224, 224)) / 1e6) == mult_adds
    assert printed_round(count_params(model) / 1e6, params)


@pytest.mark.parametrize("resolution, printed, counted", MOBILENET_RESOLUTIONS)
def test_mobilenet_resolution_table_scales_the_224_count_by_rho_squared(resolution, printed, counted):
    """Table 7's rows are the 224 count times rho^2 = (r / 224)^2, rounded. That scales the FC layer
    too, whose 1.0M does not depend on the resolution; counted exactly, 160 gives 290.7, not 290."""
    model = on_meta(models.mobilenet_v1)
    exact = count_mult_adds(model, (1, 3, resolution, resolution))
    assert round(exact / 1e6, 1) == counted
    assert abs(exact / (printed * 1e6) - 1) < 0.005
    at_224 = count_mult_adds(model, (1, 3, 224, 224))
    assert round(at_224 * (resolution / 224) ** 2 / 1e6) == printed
    assert printed_round(count_params(model) / 1e6, 4.2)  # the resolution changes no weight


def test_mobilenet_counts_parameters_without_batch_norm():
    """Table 9 prints 0.50 MobileNet-160 at 76M mult-adds and 1.32M parameters. The parameters are the
    weights and biases of its convolutions and FC layer, 1,320,648; with batch norm's 10,944 they would
    read 1.33. The mult-adds are again the 224 count times rho^2 (76.3M; 76.5M counted exactly)."""
    model = on_meta(models.mobilenet_v1, 0.5)
    assert round(count_mult_adds(model, (1, 3, 224, 224)) * (160 / 224) ** 2 / 1e6) == 76
    assert round(count_mult_adds(model, (1, 3, 160, 160)) / 1e5) == 765
    assert without_batch_norm(model) == 1_320_648
    assert round(without_batch_norm(model) / 1e6, 2) == 1.32
    assert round(count_params(model) / 1e6, 2) == 1.33


def test_mobilenet_width_rounds_channels():
    model = on_meta(models.mobilenet_v1, 0.3)
    assert model.features[0].conv.out_channels == round(32 * 0.3) == 10
    assert model.classifier.in_features == round(1024 * 0.3)


# ----------------------------------------------------------------------------- ShuffleNet

# ShuffleNet paper (Zhang et al. 2018), Table 1: complexity of the 1x network for each g, MFLOPs.
SHUFFLENET_TABLE_1 = {1: 143, 2: 140, 3: 137, 4: 133, 8: 137}
# How close a count must be to a printed complexity to reproduce it.
REPRODUCED = 0.015


def shufflenet_counts(groups, scale, **kwargs):
    model = on_meta(models.ShuffleNetV1, groups, scale, **kwargs)
    total = count_mult_adds(model, (1, 3, 224, 224))
    return total, total - linear_mult_adds(model.classifier.in_features, 1000)


def difference(groups, scale, printed, **kwargs):
    """(count - printed) / printed, the count with the final FC layer, as every table but Table 1 counts."""
    return shufflenet_counts(groups, scale, **kwargs)[0] / (printed * 1e6) - 1


def test_shufflenet_table_1_complexities_leave_out_the_fc_layer():
    """All five printed complexities are the convolutions' multiply-adds without the final FC layer;
    with it, three of the five (g = 2, 4, 8) round to another number. A counting convention."""
    with_fc, without_fc = {}, {}
    for groups in SHUFFLENET_TABLE_1:
        total, convolutions = shufflenet_counts(groups, 1.0)
        with_fc[groups], without_fc[groups] = round(total / 1e6), round(convolutions / 1e6)
    assert without_fc == SHUFFLENET_TABLE_1
    assert with_fc == {1: 143, 2: 141, 3: 137, 4: 134, 8: 138}


def test_shufflenet_2x_matches_table_6_with_the_fc_layer():
    """Table 6 prints 524 MFLOPs for 2x (g = 3): the count with the FC layer (without it, 522)."""
    total, convolutions = shufflenet_counts(3, 2.0)
    assert round(total / 1e6) == 524
    assert round(convolutions / 1e6) == 522


# Every other ShuffleNet complexity the paper's tables print (final version, CVPR 2018 = arXiv v2;
# the lecture's Table 6 is arXiv v1's, in test_tables.py), MFLOPs: (where, g, scale, printed).
# Table 2 heads each scale with one budget for all five g (1x 140, 0.5x 38, 0.25x 13); Table 3
# repeats Table 2's networks without a complexity column; Table 4 compares at the same three budgets.
SHUFFLENET_REPRODUCED = [
    ("Tables 5, 6, 8: ShuffleNet 2x (g = 3)", 3, 2.0, 524),
    ("Table 5: ShuffleNet 1.5x (g = 3)", 3, 1.5, 292),
    ("Tables 2, 4, 5, 6: ShuffleNet 1x (g = 8)", 8, 1.0, 140),
    ("Table 2: ShuffleNet 1x (g = 2)", 2, 1.0, 140),
    ("Tables 2, 4, 5, 6: ShuffleNet 0.5x (g = 4)", 4, 0.5, 38),
    ("Tables 2, 8: ShuffleNet 0.5x (g = 3)", 3, 0.5, 38),
    ("Table 2: ShuffleNet 0.5x (g = 1)", 1, 0.5, 38),
]


@pytest.mark.parametrize("where, groups, scale, printed", SHUFFLENET_REPRODUCED, ids=lambda v: str(v))
def test_shufflenet_printed_complexity_is_reproduced(where, groups, scale, printed):
    assert abs(difference(groups, scale, printed)) < REPRODUCED, where


# The printed complexities no rebuilt network reproduces within 1.5%: (where, g, scale, printed,
# the count's difference rounded to 0.1%, why). The differences are asserted, so that a change to the
# model that bends a count towards a budget fails here.
SHUFFLENET_NOT_REPRODUCED = [
    # 1x: Table 1 prints each network's own complexity, reproduced above (143, 137, 133 without FC)
    ("Table 2: ShuffleNet 1x (g = 1)", 1, 1.0, 140, 0.022, "the 1x budget; Table 1: 143"),
    ("Tables 2, 8: ShuffleNet 1x (g = 3)", 3, 1.0, 140, -0.018, "the 1x budget; Table 1: 137"),
    ("Table 2: ShuffleNet 1x (g = 4)", 4, 1.0, 140, -0.040, "the 1x budget; Table 1: 133"),
    # 0.5x: 0.5 x 200 = 100 is no multiple of 4g = 8, so stage 2 is rounded to 104; no model released
    ("Table 2: ShuffleNet 0.5x (g = 2)", 2, 0.5, 38, 0.024, "the 0.5x budget; widths not published"),
    # the released 0.5x (g = 8) has exactly these widths (16, 192, 384, 768) and its README says 40M
    ("Table 2: ShuffleNet 0.5x (g = 8)", 8, 0.5, 38, 0.065, "the 0.5x budget; released model: 40M"),
    # 0.25x: neither published widths nor a released model; counted with the text's rule throughout
    ("Table 2: ShuffleNet 0.25x (g = 1)", 1, 0.25, 13, -0.154, "the 0.25x budget; never released"),
    ("Table 2: ShuffleNet 0.25x (g = 2)", 2, 0.25, 13, -0.135, "the 0.25x budget; never released"),
    ("Table 2: ShuffleNet 0.25x (g = 3)", 3, 0.25, 13, -0.153, "the 0.25x budget; never released"),
    ("Table 2: ShuffleNet 0.25x (g = 4)", 4, 0.25, 13, -0.082, "the 0.25x budget; never released"),
    ("Tables 2, 4: ShuffleNet 0.25x (g = 8)", 8, 0.25, 13, -0.044, "the 0.25x budget; never released"),
]
# Printed but not rebuilt at all (no network here has them): Table 5's "2x (with SE, g = 3)", 527
# (squeeze-and-excitation modules, whose placement the paper does not give) and "0.5x (shallow,
# g = 3)", 40 (a 26-layer variant whose layers it does not give).


@pytest.mark.parametrize("where, groups, scale, printed, counted, why", SHUFFLENET_NOT_REPRODUCED,
                         ids=lambda v: str(v))
def test_shufflenet_printed_complexity_that_is_a_budget(where, groups, scale, printed, counted, why):
    diff = difference(groups, scale, printed)
    assert abs(diff) > REPRODUCED, where
    assert round(diff, 3) == counted, (where, why)


def test_shufflenet_1_5x_is_reproduced_only_with_the_released_stem():
    """Table 5's 292 MFLOPs for 1.5x (g = 3): the authors' released model keeps Conv1 at 24 channels
    (292.4M, +0.15%); the text's rule, every filter count times 1.5, makes it 36 (299.6M, +2.6%)."""
    released = on_meta(models.shufflenet_v1, 3, 1.5)
    text_rule = on_meta(models.ShuffleNetV1, 3, 1.5, stem_channels=24 * 1.5)
    assert released.widths == (24, 360, 720, 1440) and text_rule.widths == (36, 360, 720, 1440)
    for model, counted in [(released, 292_443_552), (text_rule, 299_612_448)]:
        # the exact counts are torch's FLOP counter's too, not only ours
        assert count_mult_adds(model, (1, 3, 224, 224)) == torch_mult_adds(model, (1, 3, 224, 224)) == counted
    assert abs(292_443_552 / 292e6 - 1) < 0.002 < REPRODUCED < abs(299_612_448 / 292e6 - 1)


# The authors' released models (megvii-model/ShuffleNet-Series, ShuffleNetV1/network.py): Conv1 and
# the three stages' widths, for the two g and four scales released.
SHUFFLENET_RELEASED_WIDTHS = {
    (3, 0.5): (12, 120, 240, 480), (3, 1.0): (24, 240, 480, 960),
    (3, 1.5): (24, 360, 720, 1440), (3, 2.0): (48, 480, 960, 1920),
    (8, 0.5): (16, 192, 384, 768), (8, 1.0): (24, 384, 768, 1536),
    (8, 1.5): (24, 576, 1152, 2304), (8, 2.0): (48, 768, 1536, 3072),
}
# Their README's complexities (MFLOPs) for those models: not the paper's, the same convention.
SHUFFLENET_RELEASED_MFLOPS = {(3, 2.0): 524, (8, 2.0): 522, (3, 1.5): 292, (8, 1.5): 290,
                              (3, 1.0): 138, (8, 1.0): 138, (3, 0.5): 38, (8, 0.5): 40}


def test_shufflenet_has_the_released_models_widths_and_complexities():
    for (groups, scale), widths in SHUFFLENET_RELEASED_WIDTHS.items():
        assert on_meta(models.shufflenet_v1, groups, scale).widths == widths, (groups, scale)
        printed = SHUFFLENET_RELEASED_MFLOPS[groups, scale]
        assert abs(difference(groups, scale, printed)) < REPRODUCED, (groups, scale, printed)


def test_shufflenet_follows_table_1_sizes_and_widths():
    """Conv1 112x112x24, max pool 56x56, stages 28x28, 14x14, 7x7 with Table 1's widths; 4, 8, 4 units."""
    for groups, widths in models.SHUFFLENET_V1_WIDTHS.items():
        model = on_meta(models.shufflenet_v1, groups)
        assert model.widths == (24, *widths)
        report = layer_report(model, model.input_size)
        shapes = {r.layer: r.output_shape for r in report.rows}
        assert shapes["stem.0.conv"] == (1, 24, 112, 112)
        units = [model.stages[i] for i in range(len(model.stages))]
        assert [u.stride for u in units] == [2, 1, 1, 1, 2, *[1] * 7, 2, 1, 1, 1]
        ends = {3: (widths[0], 28), 11: (widths[1], 14), 15: (widths[2], 7)}
        for index, (channels, size) in ends.items():
            assert shapes[f"stages.{index}.expand.conv"][2:] == (size, size)
            assert units[index].expand.conv.out_channels == channels  # a stage's last unit: residual
            assert units[index].expand.conv.groups == groups
        # the first pointwise layer of stage 2 is not grouped (its input has only 24 channels)
        assert units[0].compress.conv.groups == 1 and units[1].compress.conv.groups == groups


def test_shufflenet_scales_every_width_and_rounds_only_where_groups_do_not_divide():
    for scale in (0.25, 0.5, 2.0):
        model = on_meta(models.shufflenet_v1, 3, scale)
        assert model.widths == tuple(round(w * scale) for w in (24, 240, 480, 960))  # g = 3: exact
    assert on_meta(models.shufflenet_v1, 3, 1.5).widths == (24, 360, 720, 1440)  # the released stem
    assert on_meta(models.shufflenet_v1, 3, 0.75).widths == (18, 180, 360, 720)  # not released: 24 s
    assert on_meta(models.shufflenet_v1, 4, 0.5).widths == (12, 144, 272, 544)  # 136 is no multiple of 16
    assert on_meta(models.shufflenet_v1, 8, 0.5).widths == (16, 192, 384, 768)  # 12 is no multiple of 8
    assert on_meta(models.shufflenet_v1, 8, 0.25).widths == (8, 96, 192, 384)  # 6 is no multiple of 8
    assert on_meta(models.shufflenet_v1, 2, 1.5).widths == (24, 304, 600, 1200)  # 300 is no multiple of 8
    assert models.SHUFFLENET_V1_RELEASED_STEMS == {scale: widths[0] for (groups, scale), widths
                                                   in SHUFFLENET_RELEASED_WIDTHS.items() if groups == 3}


@pytest.mark.parametrize("groups", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5, 2.0])
def test_every_shufflenet_of_the_issue_builds_runs_and_costs_about_scale_squared(groups, scale):
    """The paper: 'overall complexity will be roughly s^2 times of ShuffleNet 1x'."""
    model = on_meta(models.shufflenet_v1, groups, scale)
    with torch.no_grad():
        assert tuple(model(torch.zeros(1, 3, 224, 224, device="meta")).shape) == (1, 1000)
    ratio = count_mult_adds(model, model.input_size) / shufflenet_counts(groups, 1.0)[0]
    assert 0.75 * scale**2 < ratio < 1.25 * scale**2


# ----------------------------------------------------------------------------- VGG-16

# VGG paper (Simonyan & Zisserman 2015), Table 1 column D: (number of 3x3 convolutions, channels)
# per block, each block at half the previous size, starting at 224; then FC-4096, FC-4096, FC-1000.
VGG16_D = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]


def test_vgg16_counts_its_configuration_d():
    convolutions, in_channels, size = 0, 3, 224
    for repeats, channels in VGG16_D:
        for _ in range(repeats):
            convolutions += conv_mult_adds(in_channels, channels, (3, 3), (size, size))
            in_channels = channels
        size //= 2
    fully_connected = (linear_mult_adds(512 * 7 * 7, 4096) + linear_mult_adds(4096, 4096)
                       + linear_mult_adds(4096, 1000))
    model = on_meta(models.vgg16)
    assert count_mult_adds(model, model.input_size) == convolutions + fully_connected == 15_470_264_320
    assert convolutions == 15_346_630_656
    assert count_params(model) == 138_357_544  # VGG's Table 2: 138 million for D


# ----------------------------------------------------------------------------- GoogLeNet

# GoogLeNet paper (Szegedy et al. 2015), Table 1: per layer, params (in K = 1024) and ops (in M = 10^6).
GOOGLENET_TABLE_1 = {
    "stem.0": (2.7, 34),  # conv1 7x7/2: the slip
    "stem.4+6": (112, 360),  # conv2: 1x1 reduce and 3x3
    "inceptions.inception3a": (159, 128),
    "inceptions.inception3b": (380, 304),
    "inceptions.inception4a": (364, 73),
    "inceptions.inception4b": (437, 88),
    "inceptions.inception4c": (463, 100),
    "inceptions.inception4d": (580, 119),
    "inceptions.inception4e": (840, 170),
    "inceptions.inception5a": (1072, 54),
    "inceptions.inception5b": (1388, 71),
    "classifier": (1000, 1),
}


def googlenet_layers():
    model = on_meta(models.googlenet)
    counted = grouped(layer_report(model, model.input_size), 2)
    reduce, conv = counted.pop("stem.4"), counted.pop("stem.6")
    counted["stem.4+6"] = (reduce[0] + conv[0], reduce[1] + conv[1])
    return counted


def test_googlenet_reproduces_table_1_ops_except_two_printed_slips():
    """Ops agree within rounding on every row but conv1 (9,408 weights x 112x112 = 118.0M, printed 34M)
    and inception (5a) (51.1M from its own widths, printed 54M)."""
    counted = googlenet_layers()
    assert counted.keys() == GOOGLENET_TABLE_1.keys()
    off = {name: round(counted[name][0] / 1e6, 1) for name, (_, ops) in GOOGLENET_TABLE_1.items()
           if abs(counted[name][0] / 1e6 - ops) >= 1}
    assert off == {"stem.0": 118.0, "inceptions.inception5a": 51.1}
    assert sum(ops for _, ops in GOOGLENET_TABLE_1.values()) == 1502  # the "1.5 billion" of the text
    # ShuffleNet's final Table 6 quotes GoogLeNet at 1500 MFLOPs: that sum, not the network its Table 1
    # describes, which no width of it brings within 1.5% (counted 1,582.7M, +5.5%)
    model = on_meta(models.googlenet)
    assert round(count_mult_adds(model, model.input_size) / 1500e6 - 1, 3) == 0.055


def test_googlenet_params_column_and_mobilenets_six_point_eight():
    """The Params column is in units of 1024 and agrees within 2% except conv1, (4c) and (5a); its sum,
    6,797.7K, is MobileNet's "6.8 million". The architecture as printed has 6,998,552 parameters."""
    counted = googlenet_layers()
    off = sorted(name for name, (params, _) in GOOGLENET_TABLE_1.items()
                 if abs(counted[name][1] / 1024 / params - 1) > 0.02)
    assert off == ["inceptions.inception4c", "inceptions.inception5a", "stem.0"]
    assert round(sum(params for params, _ in GOOGLENET_TABLE_1.values()), 1) == 6797.7
    model = on_meta(models.googlenet)
    assert count_params(model) == 6_998_552
    weights = sum(m.weight.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert weights == 6_990_272


# ----------------------------------------------------------------------------- AlexNet and SqueezeNet


def test_alexnet_needs_227_pixels_for_its_55x55_first_layer():
    assert conv_output_size(227, 11, stride=4) == 55
    assert conv_output_size(224, 11, stride=4) == 54  # the paper's "224" cannot give 55
    model = on_meta(models.alexnet)
    shapes = [r.output_shape for r in layer_report(model, model.input_size).rows]
    # Figure 2: 55x55x96, 27x27x256, 13x13x384, 13x13x384, 13x13x256, then 4096, 4096, 1000
    assert shapes == [(1, 96, 55, 55), (1, 256, 27, 27), (1, 384, 13, 13), (1, 384, 13, 13),
                      (1, 256, 13, 13), (1, 4096), (1, 4096), (1, 1000)]
    assert [m.groups for m in model.modules() if isinstance(m, nn.Conv2d)] == [1, 2, 1, 2, 2]
    assert count_params(model) == 60_965_224  # "60 million parameters"
    # ShuffleNet's Table 6: 720; the exact count is torch's FLOP counter's too
    assert count_mult_adds(model, model.input_size) == torch_mult_adds(model, model.input_size) == 724_406_816


# SqueezeNet paper (Iandola et al. 2016), Table 1: output size and parameters before pruning.
SQUEEZENET_TABLE_1 = {
    "conv1": (111, 96, 14_208),
    "fire2": (55, 128, 11_920),
    "fire3": (55, 128, 12_432),
    "fire4": (55, 256, 45_344),
    "fire5": (27, 256, 49_440),
    "fire6": (27, 384, 104_880),
    "fire7": (27, 384, 111_024),
    "fire8": (27, 512, 188_992),
    "fire9": (13, 512, 197_184),
    "conv10": (13, 1000, 513_000),
}


def test_squeezenet_matches_table_1_layer_by_layer():
    model = on_meta(models.squeezenet)
    x = torch.zeros(model.input_size, device="meta")
    counted = {}
    with torch.no_grad():
        for name, module in model.features.named_children():
            x = module(x)
            if name in SQUEEZENET_TABLE_1:
                counted[name] = (x.shape[-1], x.shape[1], count_params(module))
        conv10 = model.classifier[1]
        x = conv10(x)
        counted["conv10"] = (x.shape[-1], x.shape[1], count_params(conv10))
    assert counted == SQUEEZENET_TABLE_1
    assert count_params(model) == sum(p for _, _, p in SQUEEZENET_TABLE_1.values()) == 1_248_424
    assert round(count_mult_adds(model, model.input_size) / 1e6) == 833  # ShuffleNet's Table 6


# ----------------------------------------------------------------------------- bad input

BAD_BUILDS = [
    pytest.param(models.shufflenet_v1, {"groups": 5}, ("groups", 5, "[1, 2, 3, 4, 8]"), id="shufflenet-g"),
    pytest.param(models.shufflenet_v1, {"groups": True}, ("groups", "True"), id="shufflenet-groups-bool"),
    pytest.param(models.shufflenet_v1, {"groups": 3.0}, ("groups", "3.0", "[1, 2, 3, 4, 8]"),
                 id="shufflenet-groups-float"),
    pytest.param(models.shufflenet_v1, {"groups": [3]}, ("groups", "[3]", "[1, 2, 3, 4, 8]"),
                 id="shufflenet-groups-list"),
    pytest.param(models.shufflenet_v1, {"scale": 0}, ("scale", 0, "positive"), id="shufflenet-scale"),
    pytest.param(models.mobilenet_v1, {"width_mult": -0.5}, ("width_mult", "-0.5", "positive"), id="width"),
    pytest.param(models.mobilenet_v1, {"num_classes": 0}, ("num_classes", 0, "positive"), id="classes"),
    pytest.param(models.vgg16, {"num_classes": 2.5}, ("num_classes", "2.5", "positive"), id="vgg-classes"),
    pytest.param(models.googlenet, {"num_classes": -1}, ("num_classes", "-1"), id="googlenet-classes"),
    pytest.param(models.alexnet, {"num_classes": "10"}, ("num_classes", "'10'"), id="alexnet-classes"),
    pytest.param(models.squeezenet, {"num_classes": None}, ("num_classes", "None"), id="squeezenet-classes"),
]


@pytest.mark.parametrize("build, kwargs, parts", BAD_BUILDS)
def test_builders_reject_bad_arguments(build, kwargs, parts):
    with pytest.raises(ValueError, match=message(build.__name__, *parts)):
        build(**kwargs)


def test_shuffle_unit_rejects_widths_its_groups_cannot_split():
    with pytest.raises(ValueError, match=message("ShuffleUnit", "bottleneck", 34, "groups", 4)):
        models.ShuffleUnit(136, 136, groups=4)
    with pytest.raises(ValueError, match=message("ShuffleUnit", "branch", 180, "groups", 8)):
        models.ShuffleUnit(12, 192, groups=8, stride=2, group_first=False)
    with pytest.raises(ValueError, match=message("ShuffleUnit", "in_channels", 240, "out_channels", 480)):
        models.ShuffleUnit(240, 480, groups=3, stride=1)
