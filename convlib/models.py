"""The networks of the lecture's two tables, rebuilt from their papers as readable torch modules.

Each network is written the way its paper's architecture table reads, layer by layer,
so that :mod:`convlib.counting` can count its multiply-adds and parameters instead of
quoting them (section 3, "Depthwise separable convolution": MobileNet's table; section 5,
"Shuffle convolution": ShuffleNet's table; :mod:`convlib.tables` puts the two side by side).

==============================  ====================================================  ===========
builder                         paper, table followed                                 input
==============================  ====================================================  ===========
:func:`mobilenet_v1`            Howard et al. 2017, MobileNets, Table 1               any, 224
:func:`shufflenet_v1`           Zhang et al. 2018, ShuffleNet, Table 1 and Figure 2   224
                                (stems of the authors' released models)
:func:`vgg16`                   Simonyan & Zisserman 2015, Table 1, column D          224
:func:`googlenet`               Szegedy et al. 2015, Going deeper, Table 1            224
:func:`alexnet`                 Krizhevsky et al. 2012, Figure 2 and section 3.5      227
:func:`squeezenet`              Iandola et al. 2016, SqueezeNet v1.0, Table 1         227
==============================  ====================================================  ===========

Every model maps ``(N, 3, H, W)`` to ``(N, num_classes)`` logits; ``model.input_size`` is
the paper's ``(1, 3, H, W)``. The weights are torch's default initialisation: these
models are for reading and counting, not for prediction (no weights are downloaded).
Where a paper's table contains a slip, the model follows what the rest of the paper
(and the arithmetic of shapes) says, and the docstring tells which and why. Where the
paper's text and the authors' released model disagree, the model follows the one that
reproduces the printed numbers, which were counted on the authors' models (ShuffleNet's
stem), and the docstring says so.

Build a large model on the ``meta`` device to count it without allocating its weights::

    with torch.device("meta"):
        model = vgg16()
    counting.count_mult_adds(model, model.input_size)
"""

from __future__ import annotations

import numbers
from collections import OrderedDict

import torch
from torch import nn

from ._args import is_int, positive_int

__all__ = [
    "MOBILENET_V1_LAYERS",
    "SHUFFLENET_V1_RELEASED_STEMS",
    "SHUFFLENET_V1_REPEATS",
    "SHUFFLENET_V1_WIDTHS",
    "AlexNet",
    "ChannelShuffle",
    "ConvBNReLU",
    "DepthwiseSeparable",
    "Fire",
    "GoogLeNet",
    "Inception",
    "MobileNetV1",
    "ShuffleNetV1",
    "ShuffleUnit",
    "SqueezeNet",
    "VGG16",
    "alexnet",
    "googlenet",
    "mobilenet_v1",
    "shufflenet_v1",
    "squeezenet",
    "vgg16",
]


# ----------------------------------------------------------------------------- argument checks


def _positive_real(fn: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{fn}: {name} must be a positive number, got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------- building blocks


def _conv_relu(in_channels, out_channels, kernel_size) -> nn.Sequential:
    """Convolution with bias, padding ``k // 2`` (the size kept for odd ``k``), then ReLU.

    Every convolution of GoogLeNet's :class:`Inception` and SqueezeNet's :class:`Fire` modules.
    """
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2),
                         nn.ReLU(inplace=True))


def _caffe_max_pool() -> nn.MaxPool2d:
    """3x3 max pool at stride 2 that rounds up, as in the released Caffe GoogLeNet and SqueezeNet."""
    return nn.MaxPool2d(3, stride=2, ceil_mode=True)


class ConvBNReLU(nn.Sequential):
    """Convolution (no bias: batch norm's shift replaces it), batch norm, then ReLU if ``relu``.

    Padding ``(kernel_size - 1) // 2`` keeps the size at stride 1 and halves it at stride 2.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, groups=1, relu=True):
        layers = OrderedDict(
            conv=nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                           padding=(kernel_size - 1) // 2, groups=groups, bias=False),
            bn=nn.BatchNorm2d(out_channels),
        )
        if relu:
            layers["relu"] = nn.ReLU(inplace=True)
        super().__init__(layers)


class DepthwiseSeparable(nn.Sequential):
    """MobileNet's layer (its Figure 3, right): a 3x3 depthwise convolution, then a 1x1 pointwise one.

    ``depthwise``: ``groups = C_in``, one 3x3 kernel per channel, carries the stride.
    ``pointwise``: 1x1, mixes the channels, ``C_in -> C_out``. Both are followed by batch
    norm and ReLU. Section 3, "Depthwise separable convolution".

    Shapes
    ------
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with
    ``H_out = conv_output_size(H, 3, s, padding=1) = floor((H - 1) / s) + 1``, the same for ``W``.
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__(OrderedDict(
            depthwise=ConvBNReLU(in_channels, in_channels, 3, stride=stride, groups=in_channels),
            pointwise=ConvBNReLU(in_channels, out_channels, 1),
        ))


class ChannelShuffle(nn.Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet's Figure 1; section 5).

    Channel ``c = i * (C / g) + j`` (group ``i``, position ``j``) moves to ``j * g + i``, so
    that the next grouped convolution sees a channel from every group. The same as
    ``torch.nn.ChannelShuffle`` and :func:`convlib.channel_shuffle`.
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        g = self.groups
        x = x.reshape(n, g, c // g, h, w)  # (N, g, C/g, H, W)
        x = x.transpose(1, 2)  # (N, C/g, g, H, W)
        return x.reshape(n, c, h, w)  # (N, C, H, W), groups interleaved

    def extra_repr(self):
        return f"groups={self.groups}"


# ----------------------------------------------------------------------------- MobileNet v1

# (out_channels, stride) of the 13 depthwise separable layers, MobileNet's Table 1.
MOBILENET_V1_LAYERS = (
    (64, 1),
    (128, 2), (128, 1),
    (256, 2), (256, 1),
    (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2),
    # Table 1 prints "Conv dw / s2" here, but gives this layer's input and the next
    # layer's input both as 7x7: the stride is 1 (see MobileNetV1).
    (1024, 1),
)


class MobileNetV1(nn.Module):
    """MobileNet (Howard et al., 2017): a 3x3 convolution, 13 depthwise separable layers, pooling, FC.

    Follows the paper's Table 1 with one correction. The last depthwise layer is printed
    "Conv dw / s2", but the table gives its input as 7x7x1024 and the next layer's input
    also as 7x7x1024, so it cannot halve the size: its stride is 1. Counting confirms it:
    with stride 1 the depthwise layers are 3.06% of the multiply-adds and the total is
    568.7 million, as in Tables 2 and 8; with stride 2 the total would be 533.8 million.

    ``width_mult`` (the paper's alpha, its section 3.3) multiplies every layer's channels,
    rounded to the nearest int; the classifier reads ``round(1024 * alpha)`` features.
    The paper's resolution multiplier is simply the input size: the network is fully
    convolutional up to a global average pool (the paper's 7x7 average pool at 224),
    so any resolution works (the paper's Table 7 goes down to 128).

    Two counting conventions of the paper, found by counting: its parameter counts leave
    out batch norm (Table 9's 1.32M for 0.50 MobileNet-160 is 1,320,648 without it,
    1.33M with), and its rows for other resolutions (Tables 7 and 9) are the 224 count
    times ``rho^2``, which scales the FC layer too (290M printed for 160, 290.7M counted).

    Shapes
    ------
    ``(N, 3, H, W) -> (N, num_classes)``; the feature map before pooling is
    ``(N, 1024 * alpha, ceil(H / 32), ceil(W / 32))``.
    """

    input_size = (1, 3, 224, 224)

    def __init__(self, width_mult=1.0, num_classes=1000, layers=MOBILENET_V1_LAYERS):
        super().__init__()

        def width(channels):
            return max(1, round(channels * width_mult))

        blocks = [ConvBNReLU(3, width(32), 3, stride=2)]
        in_channels = width(32)
        for out_channels, stride in layers:
            blocks.append(DepthwiseSeparable(in_channels, width(out_channels), stride))
            in_channels = width(out_channels)
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        x = self.pool(self.features(x))  # (N, C, 1, 1)
        return self.classifier(torch.flatten(x, 1))  # (N, num_classes)


def mobilenet_v1(width_mult=1.0, num_classes=1000) -> MobileNetV1:
    """MobileNet v1 with width multiplier ``width_mult`` (1.0, 0.75, 0.5 and 0.25 in the paper).

    Counted at 224x224 (``model.input_size``): 568.7 million multiply-adds and 4.23 million
    parameters for ``width_mult=1`` (the paper's Table 8: 569 and 4.2). See
    :class:`MobileNetV1`. Section 3, "Depthwise separable convolution".

    Parameters
    ----------
    width_mult : float, default 1.0
        alpha > 0; every layer's channels are multiplied by it and rounded.
    num_classes : int, default 1000
        Outputs of the final fully connected layer.
    """
    fn = "mobilenet_v1"
    width_mult = _positive_real(fn, "width_mult", width_mult)
    return MobileNetV1(width_mult, positive_int(fn, "num_classes", num_classes))


# ----------------------------------------------------------------------------- ShuffleNet v1

# Output channels of stages 2, 3 and 4 for each number of groups g: ShuffleNet's Table 1.
SHUFFLENET_V1_WIDTHS = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
# Units per stage: the first has stride 2, the others stride 1 (Table 1's "Repeat" 1 + 3, 1 + 7, 1 + 3).
SHUFFLENET_V1_REPEATS = (4, 8, 4)
_SHUFFLENET_STEM = 24  # Conv1's output channels at 1x, for every g (Table 1)
# Conv1's width in the authors' released models (megvii-model/ShuffleNet-Series, ShuffleNetV1/network.py,
# the same for g = 3 and g = 8), by scale. It does not follow 24 * s: at 1.5x it stays 24, where
# the paper's rule makes it 36. See ShuffleNetV1.
SHUFFLENET_V1_RELEASED_STEMS = {0.5: 12, 1.0: 24, 1.5: 24, 2.0: 48}


class ShuffleUnit(nn.Module):
    """ShuffleNet's unit (its Figure 2 b, c): 1x1 group conv, shuffle, 3x3 depthwise, 1x1 group conv.

    ``compress``: 1x1 convolution in ``groups`` groups to the bottleneck width
    ``out_channels / 4``, batch norm, ReLU; ``shuffle``: :class:`ChannelShuffle`, so that the
    next group convolution mixes information from every group (section 5);
    ``depthwise``: 3x3, carries the stride, batch norm without ReLU; ``expand``: 1x1
    convolution in ``groups`` groups back up, batch norm.

    At stride 1 the result is added to the input; at stride 2 it is concatenated with a
    3x3 average pool of the input, so ``expand`` produces only ``out_channels - in_channels``
    channels. ReLU follows the addition or concatenation. ``group_first=False`` makes
    ``compress`` an ordinary 1x1 convolution (and drops the then useless shuffle), as
    the paper does for the first unit, whose input has only 24 channels.

    Shapes
    ------
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``, halved at stride 2.
    """

    def __init__(self, in_channels, out_channels, groups, stride=1, group_first=True):
        super().__init__()
        fn = "ShuffleUnit"
        mid = out_channels // 4
        branch = out_channels - in_channels if stride == 2 else out_channels
        first = groups if group_first else 1
        checks = [("bottleneck channels (out_channels // 4)", mid, groups),
                  ("branch channels", branch, groups), ("in_channels", in_channels, first)]
        for what, value, divisor in checks:
            if value < 1 or value % divisor:
                raise ValueError(f"{fn}: {what} ({value}) must be a positive multiple of groups ({divisor})")
        if stride == 1 and in_channels != out_channels:
            raise ValueError(f"{fn}: at stride 1 in_channels ({in_channels}) must equal "
                             f"out_channels ({out_channels}) for the residual addition")
        self.stride = stride
        self.compress = ConvBNReLU(in_channels, mid, 1, groups=first)
        self.shuffle = ChannelShuffle(groups) if first > 1 else nn.Identity()
        self.depthwise = ConvBNReLU(mid, mid, 3, stride=stride, groups=mid, relu=False)
        self.expand = ConvBNReLU(mid, branch, 1, groups=groups, relu=False)
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else nn.Identity()

    def forward(self, x):
        y = self.expand(self.depthwise(self.shuffle(self.compress(x))))
        if self.stride == 2:
            return torch.relu(torch.cat([self.shortcut(x), y], dim=1))  # (N, C_in + branch, H/2, W/2)
        return torch.relu(x + y)


def _round_to(value: float, multiple: int) -> int:
    """The multiple of ``multiple`` nearest to ``value`` (halves up), at least ``multiple``."""
    return max(multiple, int(value / multiple + 0.5) * multiple)


class ShuffleNetV1(nn.Module):
    """ShuffleNet (Zhang et al., 2018): a 3x3 convolution, a max pool, 3 stages of shuffle units, FC.

    Follows the paper's Table 1: Conv1 3x3/2 with 24 channels, MaxPool 3x3/2, stages 2, 3
    and 4 of 4, 8 and 4 :class:`ShuffleUnit` (the first of each at stride 2) with the
    widths of :data:`SHUFFLENET_V1_WIDTHS`, global average pool and a fully connected
    layer. The first unit's first 1x1 convolution is not grouped (section 3.3).

    ``scale`` is the paper's "ShuffleNet s x": every stage width times ``s``. Table 1's widths
    are multiples of ``4 g`` (so that the bottleneck ``C / 4`` splits into ``g`` groups);
    scaled, they need not be (0.5 x 272 = 136 is not a multiple of 16), so each scaled
    stage width is rounded to the nearest multiple of ``4 g``, halves up. For ``g = 3`` and
    ``g = 8`` nothing is rounded from 0.25x to 2x, and from 0.5x to 2x the stage widths are
    those of the authors' released models.

    The stem (Conv1) does **not** follow the text's rule. The paper's "ShuffleNet s x" means
    "scaling the number of filters in ShuffleNet 1x by s times", which makes Conv1 ``24 s``
    wide; the authors' released models (megvii-model/ShuffleNet-Series, ``ShuffleNetV1/network.py``)
    give it 12, 24, 24 and 48 channels at 0.5x, 1x, 1.5x and 2x
    (:data:`SHUFFLENET_V1_RELEASED_STEMS`): 24, not 36, at 1.5x. The printed numbers were
    counted on those models, and only the released widths reproduce them: "ShuffleNet 1.5x
    (g = 3)" counts 292.4M with the 24-channel stem against Table 5's 292 (+0.15%), and
    299.6M with the rule's 36 channels (+2.6%). So this model follows the released stems
    at the released scales, and ``24 s`` at any other; either is then rounded to the
    nearest multiple of ``g``, halves up (0.5x with ``g = 8``: 12 -> 16, as released).
    ``model.widths`` holds ``(stem, stage 2, stage 3, stage 4)``; ``stem_channels`` sets Conv1's
    width before that rounding in place of the released one (``36`` builds the text's 1.5x).

    The tables are numbered as in the paper's final version (CVPR 2018, arXiv v2); the
    lecture quotes the complexity comparison of arXiv v1, also numbered Table 6 there
    (:func:`convlib.tables.shufflenet_table`).

    Counted at 224x224, with the final FC layer: 143.1, 140.8, 137.5, 134.3 and 138.4
    million multiply-adds for ``g`` = 1, 2, 3, 4, 8 at 1x. Table 1 prints 143, 140, 137,
    133 and 137M: the convolutions alone, without the FC layer (142.5, 140.0, 136.5,
    133.3, 136.8M). Every other table includes it: 524.0M for 2x (``g = 3``, Tables 5, 6
    and 8: 524; 522.1M without), 292.4M for 1.5x (``g = 3``, Table 5: 292), 138.4M for 1x
    (``g = 8``, Tables 4-6: 140), 37.9M for 0.5x (``g = 4``, Tables 4-6: 38). Table 2's
    complexity column (140, 38, 13 MFLOPs for 1x, 0.5x, 0.25x) is one nominal budget per
    scale, not a count for each ``g``: ``tests/test_models.py`` lists which of its entries
    are reproduced within 1.5%, and why the others cannot be.

    Shapes
    ------
    ``(N, 3, H, W) -> (N, num_classes)`` for any ``H, W`` (224 in the paper); the last
    stage's map is ``ceil(H / 32) x ceil(W / 32)``.
    """

    input_size = (1, 3, 224, 224)

    def __init__(self, groups=3, scale=1.0, num_classes=1000, stem_channels=None):
        super().__init__()
        if stem_channels is None:
            stem_channels = SHUFFLENET_V1_RELEASED_STEMS.get(scale, _SHUFFLENET_STEM * scale)
        stem = _round_to(stem_channels, groups)
        stages = tuple(_round_to(w * scale, 4 * groups) for w in SHUFFLENET_V1_WIDTHS[groups])
        self.widths = (stem, *stages)
        self.stem = nn.Sequential(ConvBNReLU(3, stem, 3, stride=2), nn.MaxPool2d(3, stride=2, padding=1))
        units, in_channels = [], stem
        for index, (out_channels, repeats) in enumerate(zip(stages, SHUFFLENET_V1_REPEATS, strict=True)):
            for unit in range(repeats):
                units.append(ShuffleUnit(in_channels, out_channels, groups, stride=2 if unit == 0 else 1,
                                         group_first=not (index == 0 and unit == 0)))
                in_channels = out_channels
        self.stages = nn.Sequential(*units)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        x = self.pool(self.stages(self.stem(x)))  # (N, C, 1, 1)
        return self.classifier(torch.flatten(x, 1))  # (N, num_classes)


def shufflenet_v1(groups=3, scale=1.0, num_classes=1000) -> ShuffleNetV1:
    """ShuffleNet v1 with ``groups`` in 1, 2, 3, 4, 8 (Table 1) and width ``scale`` (0.25 to 2 in the paper).

    Counted at 224x224: 137.5 million multiply-adds for "ShuffleNet 1x (g=3)" (Table 1:
    137M), 292.4 million for "1.5x (g=3)" (Table 5: 292) and 524.0 million for "2x (g=3)"
    (Table 6: 524). The stem follows the authors' released models where they differ from
    the paper's text (24 channels at 1.5x, not 36): see :class:`ShuffleNetV1`.
    Section 5, "Shuffle convolution".

    Parameters
    ----------
    groups : int, default 3
        ``g``, one of 1, 2, 3, 4, 8: the groups of every 1x1 convolution and of the shuffle.
    scale : float, default 1.0
        ``s`` > 0; Table 1's stage widths are multiplied by it, the stem follows the released
        models (both rounded as :class:`ShuffleNetV1` says).
    num_classes : int, default 1000
        Outputs of the final fully connected layer.
    """
    fn = "shufflenet_v1"
    if not is_int(groups) or groups not in SHUFFLENET_V1_WIDTHS:
        raise ValueError(
            f"{fn}: groups must be one of {sorted(SHUFFLENET_V1_WIDTHS)} (Table 1), got {groups!r}"
        )
    scale = _positive_real(fn, "scale", scale)
    return ShuffleNetV1(groups, scale, positive_int(fn, "num_classes", num_classes))


# ----------------------------------------------------------------------------- VGG-16


class VGG16(nn.Module):
    """VGG-16, configuration D of Simonyan & Zisserman (2015), Table 1.

    13 convolutions 3x3 (stride 1, padding 1, with bias, ReLU) in 5 blocks each ending in a
    2x2 max pool, then three fully connected layers 25088 -> 4096 -> 4096 -> classes.
    Counted at 224x224: 15,470 million multiply-adds (15,347 of them in the
    convolutions) and 138,357,544 parameters (Table 2 of the paper: 138 million).

    Shapes
    ------
    ``(N, 3, 224, 224) -> (N, num_classes)``; the classifier needs the 7x7x512 map.
    """

    input_size = (1, 3, 224, 224)
    CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, in_channels = [], 3
        for item in self.CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(in_channels, item, 3, padding=1), nn.ReLU(inplace=True)]
                in_channels = item
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (N, 512 * 7 * 7)
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def vgg16(num_classes=1000) -> VGG16:
    """VGG-16 (configuration D); see :class:`VGG16`. Section 3 (MobileNet's table) and 5 (ShuffleNet's)."""
    return VGG16(positive_int("vgg16", "num_classes", num_classes))


# ----------------------------------------------------------------------------- GoogLeNet


class Inception(nn.Module):
    """GoogLeNet's Inception module (Szegedy et al., 2015, Figure 2 b): four branches, concatenated.

    1x1 (``ch1x1``); 1x1 reduce (``ch3x3red``) then 3x3 (``ch3x3``); 1x1 reduce
    (``ch5x5red``) then 5x5 (``ch5x5``); 3x3 max pool then 1x1 (``pool_proj``). Every
    convolution has a bias and a ReLU. The argument order is that of the paper's Table 1.

    Shapes
    ------
    ``(N, in_channels, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = _conv_relu(in_channels, ch1x1, 1)
        self.branch3 = nn.Sequential(_conv_relu(in_channels, ch3x3red, 1), _conv_relu(ch3x3red, ch3x3, 3))
        self.branch5 = nn.Sequential(_conv_relu(in_channels, ch5x5red, 1), _conv_relu(ch5x5red, ch5x5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         _conv_relu(in_channels, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class GoogLeNet(nn.Module):
    """GoogLeNet (Szegedy et al., 2015, "Going deeper with convolutions"), as in its Table 1.

    The stem (7x7/2 convolution, max pool, 1x1 and 3x3 convolutions, max pool), nine
    :class:`Inception` modules with Table 1's widths (:attr:`INCEPTIONS`), max pools
    between stages, global average pool, 40% dropout, linear. Local response
    normalisation follows the first max pool and the 3x3 convolution, as in its Figure 3;
    max pools round up (as in the released Caffe model), which gives Table 1's sizes 56,
    28, 14, 7. The two auxiliary classifiers help training only and are discarded at
    inference (the paper's section 5), so they are not built and not counted.

    Counted at 224x224: 1,583 million multiply-adds and 6.998 million parameters. Table 1
    prints the same per-layer operations within rounding except two rows, where its own
    widths give other numbers: conv1 (7x7x3 to 64 channels at 112x112 is 9,408 weights and
    118M multiply-adds, printed 2.7K and 34M) and inception (5a) (51.1M, printed 54M).
    Its Params column is in units of 1024 (conv2: 114,688 = 112K) and sums to 6,797.7K,
    the "6.8 million" that MobileNet's Table 8 quotes: see :func:`convlib.tables.mobilenet_table`.

    Shapes
    ------
    ``(N, 3, H, W) -> (N, num_classes)``; 224x224 in the paper.
    """

    input_size = (1, 3, 224, 224)
    # name: (in_channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj), Table 1
    INCEPTIONS = {
        "3a": (192, 64, 96, 128, 16, 32, 32),
        "3b": (256, 128, 128, 192, 32, 96, 64),
        "4a": (480, 192, 96, 208, 16, 48, 64),
        "4b": (512, 160, 112, 224, 24, 64, 64),
        "4c": (512, 128, 128, 256, 24, 64, 64),
        "4d": (512, 112, 144, 288, 32, 64, 64),
        "4e": (528, 256, 160, 320, 32, 128, 128),
        "5a": (832, 256, 160, 320, 32, 128, 128),
        "5b": (832, 384, 192, 384, 48, 128, 128),
    }

    def __init__(self, num_classes=1000):
        super().__init__()
        pool = _caffe_max_pool

        def lrn():
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)

        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3), nn.ReLU(inplace=True), pool(), lrn(),  # 56x56x64
            nn.Conv2d(64, 64, 1), nn.ReLU(inplace=True),  # Table 1's "#3x3 reduce" of conv2
            nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(inplace=True), lrn(), pool(),  # 28x28x192
        )
        modules = OrderedDict()
        for name, widths in self.INCEPTIONS.items():
            if name in ("4a", "5a"):
                modules[f"pool{name[0]}"] = pool()  # 14x14, then 7x7
            modules[f"inception{name}"] = Inception(*widths)
        self.inceptions = nn.Sequential(modules)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.4)
        self.classifier = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.pool(self.inceptions(self.stem(x)))  # (N, 1024, 1, 1)
        return self.classifier(self.dropout(torch.flatten(x, 1)))  # (N, num_classes)


def googlenet(num_classes=1000) -> GoogLeNet:
    """GoogLeNet (Inception v1) without its training-only auxiliary classifiers; see :class:`GoogLeNet`."""
    return GoogLeNet(positive_int("googlenet", "num_classes", num_classes))


# ----------------------------------------------------------------------------- AlexNet


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky, Sutskever & Hinton, 2012), the two-GPU network of its Figure 2.

    Five convolutions (96 11x11/4; 256 5x5; 384, 384 and 256 3x3) and three fully connected
    layers (4096, 4096, classes). Conv2, conv4 and conv5 read only the half of the
    previous layer on their own GPU: they are group convolutions with ``groups=2``
    (the paper's section 3.5): grouped convolution, which ShuffleNet builds on (course
    section 5). Local response normalisation after conv1 and conv2, overlapping max
    pools 3x3/2.

    The paper says the input is 224x224, but an 11x11 kernel at stride 4 without padding
    gives its 55x55 first layer only from 227x227 ((227 - 11) / 4 + 1 = 55; from 224 it
    does not divide), as in the released Caffe model: ``input_size`` is 227.

    Counted: 724.4 million multiply-adds (ShuffleNet's Table 6: 720) and 60,965,224
    parameters ("60 million", section 1; 61.0 million counted).

    Shapes
    ------
    ``(N, 3, 227, 227) -> (N, num_classes)``; the classifier needs the 6x6x256 map.
    """

    input_size = (1, 3, 227, 227)

    def __init__(self, num_classes=1000):
        super().__init__()

        def lrn():
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # section 3.3: n=5, k=2

        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, stride=2),  # 27x27
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(),
            nn.MaxPool2d(3, stride=2),  # 13x13
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),  # across both GPUs
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2),  # 6x6
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (N, 256 * 6 * 6)
            nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def alexnet(num_classes=1000) -> AlexNet:
    """AlexNet as published (grouped conv2, conv4, conv5; 227x227 input); see :class:`AlexNet`."""
    return AlexNet(positive_int("alexnet", "num_classes", num_classes))


# ----------------------------------------------------------------------------- SqueezeNet


class Fire(nn.Module):
    """SqueezeNet's Fire module (Iandola et al., 2016, Figure 1).

    ``squeeze``: 1x1 convolution to ``squeeze_channels``; then two expand convolutions
    side by side, 1x1 (``expand1x1``) and 3x3 with padding 1 (``expand3x3``), concatenated.
    Every convolution has a bias and a ReLU.

    Shapes
    ------
    ``(N, in_channels, H, W) -> (N, expand1x1 + expand3x3, H, W)``.
    """

    def __init__(self, in_channels, squeeze_channels, expand1x1, expand3x3):
        super().__init__()
        self.squeeze = _conv_relu(in_channels, squeeze_channels, 1)
        self.expand1x1 = _conv_relu(squeeze_channels, expand1x1, 1)
        self.expand3x3 = _conv_relu(squeeze_channels, expand3x3, 3)

    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.expand1x1(x), self.expand3x3(x)], dim=1)


class SqueezeNet(nn.Module):
    """SqueezeNet v1.0 (Iandola et al., 2016), its Table 1: conv1, eight Fire modules, conv10.

    conv1 96 7x7/2; max pools 3x3/2 after conv1, fire4 and fire8; Fire modules with
    Table 1's widths (:attr:`FIRES`); 50% dropout; conv10, a 1x1 convolution to the classes;
    global average pool. No fully connected layer.

    Table 1 gives conv1's output as 111x111, which a 7x7 kernel at stride 2 without
    padding produces from 227x227 ((227 - 7) / 2 + 1 = 111), as in the released Caffe
    model, whose max pools round up: ``input_size`` is 227.

    Counted: 832.7 million multiply-adds (ShuffleNet's Table 6: 833) and 1,248,424
    parameters, exactly Table 1's total before pruning.

    Shapes
    ------
    ``(N, 3, H, W) -> (N, num_classes)``; 227x227 in the paper.
    """

    input_size = (1, 3, 227, 227)
    # name: (in_channels, s1x1, e1x1, e3x3), Table 1; a max pool comes before fire5 and fire9
    FIRES = {
        "fire2": (96, 16, 64, 64),
        "fire3": (128, 16, 64, 64),
        "fire4": (128, 32, 128, 128),
        "fire5": (256, 32, 128, 128),
        "fire6": (256, 48, 192, 192),
        "fire7": (384, 48, 192, 192),
        "fire8": (384, 64, 256, 256),
        "fire9": (512, 64, 256, 256),
    }

    def __init__(self, num_classes=1000):
        super().__init__()
        pool = _caffe_max_pool
        modules = OrderedDict(conv1=nn.Conv2d(3, 96, 7, stride=2), relu1=nn.ReLU(inplace=True), pool1=pool())
        for name, widths in self.FIRES.items():
            if name in ("fire5", "fire9"):
                modules[f"pool{int(name[-1]) - 1}"] = pool()
            modules[name] = Fire(*widths)
        self.features = nn.Sequential(modules)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5),
            nn.Conv2d(512, num_classes, 1),  # conv10
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),  # (N, num_classes, 1, 1)
            nn.Flatten(),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def squeezenet(num_classes=1000) -> SqueezeNet:
    """SqueezeNet v1.0 as in its Table 1 (227x227 input); see :class:`SqueezeNet`."""
    return SqueezeNet(positive_int("squeezenet", "num_classes", num_classes))
