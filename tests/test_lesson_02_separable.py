"""Lesson 02 (depthwise separable convolution, MobileNet): the numbers its text states are the ones convlib counts.

The generic lesson tests (tests/test_lessons.py) run the notebook and its graded cells; they cannot see a number
written into a markdown cell. Each number here is recomputed with convlib.counting, convlib.tables and
convlib.models, put into the sentence that states it, and the sentence must appear in the notebook as written.
Quotes of the papers (accuracies, the printed columns) are not counted, except where the lesson says a count
reproduces them.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
import torch
from torch import nn

from convlib import counting, models, tables
from tests.lessons import Lesson

LESSON = Lesson("02_separable", "separable")
MILLION = 1_000_000


@cache
def markdown() -> str:
    """The text of the notebook's markdown cells, with every run of whitespace as one space."""
    return " ".join(" ".join(c.source for c in LESSON.source.cells if c.cell_type == "markdown").split())


def on_meta(build, *args):
    with torch.device("meta"):
        return build(*args)


def conv_mobilenet() -> nn.Sequential:
    """MobileNet's Table 4 "Conv MobileNet": each depthwise separable layer as one ordinary 3x3 convolution."""
    layers, c_in = [models.ConvBNReLU(3, 32, 3, stride=2)], 32
    for c_out, stride in models.MOBILENET_V1_LAYERS:
        layers.append(models.ConvBNReLU(c_in, c_out, 3, stride=stride))
        c_in = c_out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 1000))


def example():
    """The lecture's example, 12x12x3 -> 8x8x256 with 5x5 kernels: ordinary and separable multiply-adds."""
    return (counting.conv_mult_adds(3, 256, (5, 5), (8, 8)),
            counting.depthwise_separable_mult_adds(3, 256, (5, 5), (8, 8)))


@cache
def layer_types():
    return {row.layer_type: row for row in tables.mobilenet_layer_types()}


@cache
def mobilenet_rows():
    return {row.model: row for row in tables.mobilenet_table()}


@cache
def conv_mobilenet_against_mobilenet():
    ordinary, separable = on_meta(conv_mobilenet), on_meta(models.mobilenet_v1)
    size = (1, 3, 224, 224)
    return (counting.count_mult_adds(ordinary, size), counting.count_params(ordinary),
            counting.count_mult_adds(separable, size), counting.count_params(separable))


def pro_con():
    ordinary_ops, ordinary_params, ops, params = conv_mobilenet_against_mobilenet()
    return f"{ordinary_ops / ops:.1f}", f"{ordinary_params / params:.1f}"


# (the sentence as the notebook writes it, with {} for each number; the numbers, as convlib counts them)
STATED = [
    ("`5·5·3·8·8·256 = {}`, the slide's number", lambda: [f"{example()[0]:,}"]),
    ("Depthwise `5·5·3·8·8 = {}`, pointwise `3·8·8·256 = {}`",
     lambda: [f"{counting.depthwise_mult_adds(3, (5, 5), (8, 8)):,}",
              f"{counting.pointwise_mult_adds(3, 256, (8, 8)):,}"]),
    ("the separable layer costs **{}** multiply-adds. The slide prints \"{}\"",
     lambda: [f"{example()[1]:,}", f"{tables.separable_example()[-1].printed_mult_adds:,}"]),
    ("`1/256 + 1/25`, {}% of the ordinary {}, about {} times fewer",
     lambda: [f"{100 * counting.depthwise_separable_ratio(256, (5, 5)):.2f}", f"{example()[0]:,}",
              f"{example()[0] / example()[1]:.0f}"]),
    ("so {} weights stand in for {}",
     lambda: [f"{counting.depthwise_separable_params(3, 256, (5, 5)):,}", f"{counting.conv_params(3, 256, (5, 5)):,}"]),
    ("`3·3·32·112·112 = {}` multiply-adds and the pointwise step `32·112·112·64 = {}`",
     lambda: [f"{counting.depthwise_mult_adds(32, (3, 3), (112, 112)):,}",
              f"{counting.pointwise_mult_adds(32, 64, (112, 112)):,}"]),
    ("({}% of the multiply-adds, {}% of the weights) and the depthwise ones only {}%",
     lambda: [f"{100 * layer_types()['Conv 1x1'].counted_mult_adds_share:.0f}",
              f"{100 * layer_types()['Conv 1x1'].counted_params_share:.0f}",
              f"{100 * layer_types()['Conv DW 3x3'].counted_mult_adds_share:.0f}"]),
    ("the first layer is {}% of the multiply-adds, printed as {}%",
     lambda: [f"{100 * layer_types()['Conv 3x3'].counted_mult_adds_share:.2f}",
              f"{100 * layer_types()['Conv 3x3'].printed_mult_adds_share:.2f}"]),
    ("MobileNet (−{}%) and VGG-16 (+{}%;",
     lambda: [f"{-100 * mobilenet_rows()['1.0 MobileNet-224'].mult_adds_diff:.2f}",
              f"{100 * mobilenet_rows()['VGG 16'].mult_adds_diff:.1f}"]),
    ("at `112 × 112`, is {}M multiply-adds, printed 34M",
     lambda: [f"{counting.conv_mult_adds(3, 64, (7, 7), (112, 112)) / MILLION:.0f}"]),
    ("the network as published counts {}M",
     lambda: [f"{mobilenet_rows()['GoogLeNet'].counted_mult_adds / MILLION:,.0f}"]),
    ("the published architecture has {}M",
     lambda: [f"{mobilenet_rows()['GoogLeNet'].counted_params / MILLION:.1f}"]),
    ("{} times fewer multiply-adds and {} times fewer parameters, for 1.1 points", pro_con),
    ("569 million multiply-adds and 4.2 million parameters where its twin of ordinary convolutions needs {} billion "
     "and {} million",
     lambda: [f"{conv_mobilenet_against_mobilenet()[0] / 1e9:.1f}",
              f"{conv_mobilenet_against_mobilenet()[1] / MILLION:.0f}"]),
]


@pytest.mark.parametrize(("sentence", "numbers"), STATED, ids=[s for s, _ in STATED])
def test_the_text_states_what_convlib_counts(sentence, numbers):
    assert sentence.format(*numbers()) in markdown()


def test_googlenet_sums_are_convlibs_own():
    """The GoogLeNet sums the text quotes (its Table 1's column, and with conv1 corrected) are those of the note
    convlib.tables attaches to the row, where they are derived."""
    note = mobilenet_rows()["GoogLeNet"].note
    for total in ("1,502M", "1,586M"):
        assert total in note
        assert total in markdown()


def test_table_4_is_reproduced_by_counting():
    """The paper's Table 4, quoted in the text: Conv MobileNet 4866M mult-adds, 29.3M parameters; MobileNet 569M, 4.2M.
    The rebuilt networks count the same, to the paper's rounding (MobileNet's parameters without batch norm)."""
    ordinary_ops, ordinary_params, ops, params = conv_mobilenet_against_mobilenet()
    text = markdown()
    assert "4866M multiply-adds and 29.3M parameters, against 70.6%, 569M and 4.2M" in text
    assert abs(ordinary_ops / (4866 * MILLION) - 1) < 0.001 and round(ordinary_params / MILLION, 1) == 29.3
    assert round(ops / MILLION) == 569 and round(params / MILLION, 1) == 4.2


def test_every_count_the_text_quotes_is_in_a_sentence_checked_here():
    """A number with a thousands separator in the text is either in one of the checked sentences or a quote."""
    checked = " ".join(sentence.format(*numbers()) for sentence, numbers in STATED)
    rows = mobilenet_rows()
    quoted = {
        "16,384",  # 8 * 8 * 256 output elements of the lecture's example, derived beside it in the text
        f"{rows['GoogLeNet'].printed_mult_adds // MILLION:,}",  # the printed column of MobileNet's table, 1,550
        f"{rows['VGG 16'].printed_mult_adds // MILLION:,}",  # 15,300
        "1,502", "1,586",  # GoogLeNet's sums, from convlib's note (test_googlenet_sums_are_convlibs_own)
    }
    for number in set(re.findall(r"\d{1,3}(?:,\d{3})+", markdown())) - quoted:
        assert number in checked, number
