"""The explorers (convlib.widgets), driven headless as a learner would drive them.

Every slider goes through its whole range (the others at their defaults), then random
combinations, valid and invalid; the position control walks every output element.
After each change, what the explorer shows is checked against torch, run on the same
arrays by the test itself: the output size, the values, the highlighted element and
window, the written sum. Where torch refuses the combination, the explorer must say
why in convlib's words and keep the last valid picture. No exception may escape.
"""

from __future__ import annotations

import html
import itertools
import re

import ipywidgets as widgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_scenes import check_sum_line, depends_on, inside, logical_lines, shuffle_reach

import convlib
from convlib import drawing
from convlib import widgets as W


def t(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array)


# What each explorer computes, written again with torch on the explorer's own arrays.
ORACLES = {
    "conv2d": lambda p, a: F.conv2d(t(a["x"]), t(a["w"]), stride=p["stride"], padding=p["padding"]),
    "multichannel": lambda p, a: F.conv2d(t(a["x"]), t(a["w"]), stride=p["stride"], padding=p["padding"],
                                          groups=p["groups"]),
    "conv1d": lambda p, a: F.conv1d(t(a["x"]), t(a["w"]), stride=p["stride"], padding=p["padding"],
                                    dilation=p["dilation"]),
    "separable": lambda p, a: F.conv2d(F.conv2d(t(a["x"]), t(a["wd"]), padding=p["padding"],
                                                groups=p["in_channels"]), t(a["wp"])),
    "dilated": lambda p, a: F.conv2d(t(a["x"]), t(a["w"]), padding=p["padding"], dilation=p["dilation"]),
    "shuffle": lambda p, a: F.conv2d(F.channel_shuffle(F.conv2d(t(a["x"]), t(a["w1"]), groups=p["groups"]),
                                                       p["groups"]), t(a["w2"]), groups=p["groups"]),
    "conv3d": lambda p, a: F.conv3d(t(a["x"]), t(a["w"]), stride=p["stride"], padding=p["padding"]),
    "transposed": lambda p, a: F.conv_transpose2d(t(a["x"]), t(a["w"]), stride=p["stride"],
                                                  padding=p["padding"], output_padding=p["output_padding"]),
}

# The torch function whose gradient tells which input cells an output element reads.
WINDOW_OPS = {
    "conv2d": lambda p: (F.conv2d, {"stride": p["stride"], "padding": p["padding"]}),
    "multichannel": lambda p: (F.conv2d, {"stride": p["stride"], "padding": p["padding"],
                                          "groups": p["groups"]}),
    "conv1d": lambda p: (F.conv1d, {"stride": p["stride"], "padding": p["padding"],
                                    "dilation": p["dilation"]}),
    "dilated": lambda p: (F.conv2d, {"padding": p["padding"], "dilation": p["dilation"]}),
    "conv3d": lambda p: (F.conv3d, {"stride": p["stride"], "padding": p["padding"]}),
}


def torch_result(name: str, explorer: W.Explorer) -> np.ndarray | None:
    """Torch's output for the explorer's current parameters, or None where torch refuses them."""
    params = explorer.params
    try:
        return ORACLES[name](params, explorer.inputs(params)).numpy()
    except (RuntimeError, ValueError):
        return None


def check_shown(name: str, explorer: W.Explorer, picture_before: bytes, params_before: dict) -> None:
    """What the explorer shows after a change agrees with torch, or it says why not and keeps its picture."""
    expected = torch_result(name, explorer)
    state = explorer.state
    if expected is None:
        assert state.message, f"{name} {explorer.params}: torch refuses, but the explorer shows no message"
        assert html.escape(state.message) in explorer.message.value
        assert state.params == params_before, "an invalid change must keep the last valid picture's state"
        assert explorer.image.value == picture_before, "an invalid change must keep the last valid picture"
        return
    assert state.message == "" and explorer.message.value == ""
    assert state.params == explorer.params
    if name == "shuffle":  # its output is the connectivity; the values are checked by the call test
        assert state.output_size == (explorer.params["channels"],)
        np.testing.assert_array_equal(state.scene.output, shuffle_reach(explorer.params["channels"],
                                                                        explorer.params["groups"], True))
        return
    assert state.output_size == expected.shape[1:]
    np.testing.assert_allclose(state.scene.output, expected, atol=1e-9)
    assert state.value == pytest.approx(expected[state.out_index])
    assert explorer.controls["position"].max == expected.size - 1


def drive(name: str, explorer: W.Explorer, **values: int) -> None:
    picture, params = explorer.image.value, dict(explorer.state.params)
    if len(values) == 1:
        ((slider, value),) = values.items()
        explorer.controls[slider].value = value  # as a learner moves one slider
    else:
        explorer.set(**values)
    check_shown(name, explorer, picture, params)


# ----------------------------------------------------------------------------- every control, its whole range


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_every_slider_through_its_range_agrees_with_torch(name):
    explorer = W.EXPLORERS[name]()
    assert explorer.state.message == "", "the defaults must be a valid combination"
    for slider, (low, high, default, _) in explorer.sliders.items():
        for value in [*range(low, high + 1), default]:
            drive(name, explorer, **{slider: value})


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_random_combinations_agree_with_torch(name):
    explorer = W.EXPLORERS[name]()
    rng = np.random.default_rng(list(W.EXPLORERS).index(name))
    lows = {s: low for s, (low, *_) in explorer.sliders.items()}
    highs = {s: high for s, (_, high, *_) in explorer.sliders.items()}
    # The corners, where invalid combinations live (a big kernel or many groups on a small input) ...
    corners = [lows, highs] + [{**lows, s: highs[s]} for s in ("kernel_size", "groups") if s in lows]
    # ... and random combinations.
    randoms = [{s: int(rng.integers(lows[s], highs[s] + 1)) for s in lows} for _ in range(20)]
    invalid = 0
    for combo in corners + randoms:
        drive(name, explorer, **combo)
        invalid += bool(explorer.state.message)
        explorer.controls["play"].value = int(rng.integers(0, explorer.controls["position"].max + 1))
    if name != "separable":  # its ranges hold no invalid combination; the others' sample must meet some
        assert invalid > 0, f"no invalid combination among the random ones of {name}: widen the sample"


# ----------------------------------------------------------------------------- the position control


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_play_walks_every_output_element(name):
    """Play moves the position slider; each element's value, window and written sum agree with torch."""
    explorer = W.EXPLORERS[name]()
    expected = torch_result(name, explorer)
    play, position = explorer.controls["play"], explorer.controls["position"]
    count = explorer.state.output_size[0] if name == "shuffle" else expected.size
    assert play.max == position.max == count - 1
    for step in range(count):
        play.value = step
        state = explorer.state
        assert position.value == step == state.scene.position
        if name == "shuffle":
            assert state.out_index == (step,)
            seen = {c for (c,) in state.highlighted["seen"]}
            assert seen == set(np.flatnonzero(shuffle_reach(*explorer.params.values(), True)[:, step]))
            continue
        assert state.out_index == np.unravel_index(step, expected.shape)
        assert state.value == pytest.approx(expected[state.out_index])
        lines = logical_lines(state.sum_text)
        assert all(check_sum_line(line) for line in lines)
        if name in WINDOW_OPS:
            op, kwargs = WINDOW_OPS[name](explorer.params)
            a = explorer.inputs(explorer.params)
            reads = depends_on(op, a["x"], a["w"].shape, state.out_index, **kwargs)
            assert inside(state.highlighted["window"], a["x"].shape[1:]) == reads


def test_position_follows_a_shrinking_output():
    explorer = W.conv2d_explorer().explorer  # 5 x 5, padding 1: 25 elements
    explorer.controls["position"].value = 24
    explorer.controls["stride"].value = 3  # 2 x 2
    position, play = explorer.controls["position"], explorer.controls["play"]
    assert position.max == play.max == 3
    assert position.value == play.value == explorer.state.scene.position == 3
    assert explorer.state.out_index == (0, 1, 1)


# ----------------------------------------------------------------------------- invalid combinations


def test_invalid_combination_says_why_and_keeps_the_last_picture():
    explorer = W.conv2d_explorer(input_size=4, padding=0, kernel_size=3).explorer
    picture = explorer.image.value
    explorer.controls["kernel_size"].value = 5
    with pytest.raises(ValueError) as direct:
        convlib.conv2d(np.zeros((1, 4, 4)), np.zeros((1, 1, 5, 5)))
    assert explorer.state.message == str(direct.value)
    assert "kernel 5 is larger than padded input 4" in explorer.message.value
    assert explorer.image.value == picture
    assert explorer.state.output_size == (2, 2) and explorer.state.params["kernel_size"] == 3
    explorer.controls["padding"].value = 1  # 4 + 2 >= 5: valid again
    assert explorer.state.message == "" and explorer.message.value == ""
    assert explorer.state.output_size == (2, 2) and explorer.state.params["kernel_size"] == 5
    assert explorer.image.value != picture


@pytest.mark.parametrize(("name", "values", "words"), [
    ("multichannel", {"in_channels": 3, "groups": 2}, "in_channels (3) must be divisible by groups (2)"),
    ("multichannel", {"out_channels": 3, "groups": 2, "in_channels": 4},
     "out_channels (3, weight.shape[0]) must be divisible by groups (2)"),
    ("shuffle", {"channels": 6, "groups": 4}, "in_channels (6) must be divisible by groups (4)"),
    ("transposed", {"stride": 1, "output_padding": 1}, "output_padding (1) must be smaller than stride (1)"),
    ("dilated", {"input_size": 3, "kernel_size": 3, "dilation": 2, "padding": 0},
     "dilated kernel 5 (kernel 3, dilation 2) is larger than padded input 3"),
    ("separable", {"input_size": 3, "kernel_size": 3, "padding": 0, "in_channels": 1}, None),
])
def test_learners_read_convlibs_reason(name, values, words):
    explorer = W.EXPLORERS[name]()
    explorer.set(**values)
    if words is None:  # a valid edge case: a 1 x 1 output
        assert explorer.state.message == "" and explorer.state.output_size == (1, 1)
    else:
        assert words in explorer.state.message
        assert html.escape(words) in explorer.message.value


# ----------------------------------------------------------------------------- text and calls


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_shown_calls_compute_the_shown_output(name):
    """The one-line convlib call and the torch call, run on the explorer's arrays, agree with each other
    and with the picture."""
    explorer = W.EXPLORERS[name]()
    scene, arrays = explorer.state.scene, explorer.inputs(explorer.params)
    ours = eval(scene.call, {"convlib": convlib, **arrays})
    theirs = eval(scene.torch_call, {"torch": torch, **{k: t(v) for k, v in arrays.items()}}).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    if name != "shuffle":
        np.testing.assert_allclose(ours, scene.output, atol=1e-9)
    assert html.escape(scene.call) in explorer.calls.value
    assert html.escape(scene.formula) in explorer.text.value
    assert html.escape(scene.sum_text) in explorer.text.value


def test_separable_counts_follow_the_sliders():
    explorer = W.separable_explorer().explorer
    for c_in, c_out, k in itertools.product((1, 3), (1, 6), (1, 3)):
        explorer.set(in_channels=c_in, out_channels=c_out, kernel_size=k)
        counts = explorer.state.scene.arrays["counts"]
        o = explorer.state.output_size[0]
        assert counts["ordinary"] == k * k * c_in * o * o * c_out
        assert counts["separable"] == k * k * c_in * o * o + c_in * o * o * c_out
        assert counts["ratio"] == pytest.approx(1 / c_out + 1 / (k * k))


def test_dilated_receptive_field_doubles_with_each_layer():
    explorer = W.dilated_explorer(kernel_size=3, dilation=2).explorer
    for layers in range(1, 5):
        explorer.controls["layers"].value = layers
        fed = [j for (j,) in explorer.state.highlighted["receptive_field"]]
        assert max(fed) - min(fed) + 1 == 2 ** (layers + 1) - 1


# ----------------------------------------------------------------------------- the widget itself

FACTORIES = [W.conv2d_explorer, W.multichannel_explorer, W.conv1d_explorer, W.separable_explorer,
             W.dilated_explorer, W.shuffle_explorer, W.conv3d_explorer, W.transposed_explorer]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_explorer_function_returns_a_displayable_box_carrying_its_explorer(factory):
    box = factory()
    explorer = box.explorer
    assert isinstance(box, widgets.VBox) and explorer.widget is box
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert set(explorer.controls) == {*explorer.sliders, "position", "play"}
    assert explorer.section in box.children[0].value
    assert type(explorer) in W.EXPLORERS.values()
    # Each explorer names the course section that teaches it.
    assert re.search(rf"[Ss]ections? {explorer.section[0]}\b", type(explorer).__doc__)
    assert re.search(rf"\(sections? {explorer.section[0]}\b", factory.__doc__)


def test_start_values_must_be_sliders_in_range():
    with pytest.raises(ValueError, match=r"Conv2dExplorer: unknown parameter\(s\) \['dilation'\]"):
        W.conv2d_explorer(dilation=2)
    with pytest.raises(ValueError, match="Conv2dExplorer: kernel_size must be between 1 and 5, got 9"):
        W.conv2d_explorer(kernel_size=9)
    explorer = W.conv2d_explorer().explorer
    with pytest.raises(ValueError, match="Conv2dExplorer: stride must be between 1 and 3, got 0"):
        explorer.set(stride=0)


# ----------------------------------------------------------------------------- on screen


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    data = bytes(data)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_picture_is_drawn_at_twice_the_size_it_is_shown(name):
    """Shown at a fixed CSS width (never stretched, narrower only when the output is), drawn at twice
    that many pixels: sharp on a display of device scale factor 2."""
    explorer = W.EXPLORERS[name]()
    layout = explorer.image.layout
    shown = drawing.screen_width()
    assert (layout.width, layout.max_width, layout.height) == (f"{shown}px", "100%", "auto")
    for _ in range(2):
        width, height = png_size(explorer.image.value)
        assert width == W.PIXEL_RATIO * shown == 1440
        # a whole number of CSS pixels high, so that nothing is cut off
        assert height == pytest.approx(W.PIXEL_RATIO * drawing.SCREEN_DPI * explorer.figure.get_figheight(), abs=1e-6)
        explorer.controls["position"].value = explorer.controls["position"].max  # after a redraw too


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_invalid_state_stops_and_disables_the_walk(name):
    """While the picture is the last valid one, the output element and play are disabled (moving them
    would change nothing on screen), and a running play stops; a valid state gives them back."""
    explorer = W.EXPLORERS[name]()
    play, position = explorer.controls["play"], explorer.controls["position"]
    invalid = next((corner for corner in corners(explorer) if refused(name, corner)), None)
    if invalid is None:  # its ranges hold no invalid combination (see the random test above)
        assert name == "separable"
        return
    assert not play.disabled and not position.disabled
    play.playing = True
    explorer.set(**invalid)
    assert explorer.state.message
    assert play.disabled and position.disabled and not play.playing
    explorer.set(**{slider: default for slider, (_, _, default, _) in explorer.sliders.items()})
    assert explorer.state.message == ""
    assert not play.disabled and not position.disabled


def corners(explorer: W.Explorer) -> list[dict]:
    """Where invalid combinations live: every slider low but one, a big kernel, many groups or a big
    output_padding."""
    lows = {s: low for s, (low, *_) in explorer.sliders.items()}
    return [{**lows, s: explorer.sliders[s][1]} for s in ("kernel_size", "groups", "output_padding") if s in lows]


def refused(name: str, values: dict) -> bool:
    """Whether torch refuses the explorer's arrays for ``values``."""
    explorer = W.EXPLORERS[name]()
    explorer.set(**values)
    return torch_result(name, explorer) is None


def test_shapes_line_is_as_large_as_the_calls_above_it():
    """The arrays' shapes were <small> under 12 px calls (10 px); now 13 px like every text of the explorer."""
    explorer = W.multichannel_explorer().explorer
    calls = explorer.calls.value
    assert "<small>" not in calls and "font-size:13px" in calls.replace(" ", "")
    assert "shapes: x: (3, 4, 4), w: (2, 3, 3, 3)" in html.unescape(calls)
    for part in (explorer.text, explorer.message):
        assert "<small>" not in part.value
    explorer.set(groups=2)  # 3 channels in 2 groups: invalid, so the message shows
    assert "font-size:13px" in explorer.message.value.replace(" ", "")


@pytest.mark.parametrize("name", W.EXPLORERS)
def test_every_part_carries_a_class_for_styles_and_browser_tests(name):
    explorer = W.EXPLORERS[name]()
    assert "convlib-explorer" in explorer.widget._dom_classes
    for control, widget in explorer.controls.items():
        assert f"convlib-control-{control}" in widget._dom_classes
    for part, cls in [(explorer.image, "picture"), (explorer.text, "text"), (explorer.calls, "calls"),
                      (explorer.message, "message")]:
        assert f"convlib-{cls}" in part._dom_classes
