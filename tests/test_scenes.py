"""The explorers' scenes (convlib.scenes): what each explorer shows, computed without matplotlib.

What a scene highlights is checked against torch as an independent oracle: the input
cells an output element depends on are those whose gradient is non-zero when the kernel
is all ones. The written sums are evaluated and compared with the element's value.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convlib
from convlib import scenes

# ----------------------------------------------------------------------------- oracles and readers


def depends_on(op, x: np.ndarray, weight_shape, out_index, **kwargs) -> set[tuple[int, ...]]:
    """Input cells ``(c, *spatial)`` that output element ``out_index`` of ``op`` reads, by torch autograd.

    With an all-ones kernel and a gradient flowing from one output element, an input cell gets a
    non-zero gradient exactly when the element's window covers it.
    """
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = op(xt, torch.ones(weight_shape, dtype=torch.float64), **kwargs)
    y[tuple(out_index)].backward()
    return {tuple(int(i) for i in cell) for cell in np.argwhere(xt.grad.numpy() != 0)}


def inside(cells, spatial_shape) -> set[tuple[int, ...]]:
    """The cells ``(c, *spatial)`` that are not in the padding."""
    return {cell for cell in cells if all(0 <= i < n for i, n in zip(cell[1:], spatial_shape, strict=True))}


def logical_lines(text: str) -> list[str]:
    """Lines of a written sum, with wrapped continuation lines (indented) joined back."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("    ") and lines:
            lines[-1] += line.strip() if lines[-1].endswith(" ") else " " + line.strip()
        else:
            lines.append(line)
    return lines


def number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def check_sum_line(line: str) -> tuple[float, list[tuple[float, float]]]:
    """Evaluate ``label: a·b + c·d = v`` (or ``... = a·b + ... = v``).

    Asserts the arithmetic; returns v and the products' factors.
    """
    parts = line.split(" = ")
    value = number(parts[-1])
    expression = parts[-2].split(": ")[-1]
    expression = re.sub(r" \+ \d+ products with a zero", "", expression)
    terms = expression.split(" + ")
    products = []
    total = 0.0
    for term in terms:
        factors = [number(f.strip("()")) for f in term.split("\u00b7")]
        total += float(np.prod(factors))
        if len(factors) == 2:
            products.append((factors[0], factors[1]))
    assert total == pytest.approx(value), (
        f"the written sum {expression!r} is {total}, but the line says {value}")
    return value, products


# ----------------------------------------------------------------------------- example data


def test_example_array_keeps_its_numbers_when_it_grows():
    small, large = scenes.example_array((2, 3, 3)), scenes.example_array((3, 5, 5))
    np.testing.assert_array_equal(large[:2, :3, :3], small)
    assert set(np.unique(large)) <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_example_array_refuses_shapes_it_cannot_give():
    with pytest.raises(ValueError, match=r"example_array: shape must have 1 to 5 axes of 1 to 16 elements"):
        scenes.example_array((17, 2))


# ----------------------------------------------------------------------------- conv_scene

CONV_CASES = [
    # (x shape, w shape, stride, padding, dilation, groups, torch op)
    ((1, 5, 5), (1, 1, 3, 3), 1, 1, 1, 1, F.conv2d),
    ((1, 6, 6), (1, 1, 3, 3), 2, 0, 1, 1, F.conv2d),
    ((1, 4, 4), (1, 1, 4, 4), 3, 3, 1, 1, F.conv2d),
    ((1, 7, 7), (1, 1, 3, 3), 1, 1, 2, 1, F.conv2d),
    ((3, 4, 4), (2, 3, 3, 3), 1, 1, 1, 1, F.conv2d),
    ((4, 4, 4), (2, 2, 2, 2), 2, 1, 1, 2, F.conv2d),
    ((1, 9), (1, 1, 3), 2, 1, 2, 1, F.conv1d),
    ((1, 4, 4, 4), (1, 1, 2, 2, 2), 1, 1, 1, 1, F.conv3d),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}*{c[1]} s{c[2]} p{c[3]} d{c[4]} g{c[5]}")
def test_conv_scene_highlights_what_torch_says_each_element_reads(case):
    """At every position: the output, the element's value, its window and its written sum agree with torch."""
    x_shape, w_shape, stride, padding, dilation, groups, op = case
    x = scenes.example_array(x_shape)
    w = scenes.example_array(w_shape, -1, 1, seed=1)
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    expected = op(torch.tensor(x), torch.tensor(w), **kwargs).numpy()
    for position in range(expected.size):
        scene = scenes.conv_scene(x, w, position=position, **kwargs)
        out_index = np.unravel_index(position, expected.shape)
        np.testing.assert_allclose(scene.output, expected)
        assert scene.out_index == out_index
        assert scene.output_size == expected.shape[1:]
        assert scene.value == pytest.approx(expected[out_index])
        window = scene.highlighted["window"]
        assert inside(window, x.shape[1:]) == depends_on(op, x, w.shape, out_index, **kwargs)
        assert len(window) == np.prod(w.shape[1:])  # padding cells included: the kernel has that many taps
        lines = logical_lines(scene.sum_text)
        values = [check_sum_line(line)[0] for line in lines]
        assert values[-1] == pytest.approx(scene.value)


def test_conv_scene_sum_multiplies_the_highlighted_input_values():
    """The first factor of each written product is the input value (0 in the padding) under the window."""
    x = scenes.example_array((1, 6, 6))
    w = scenes.example_array((1, 1, 3, 3), -1, 1, seed=1)
    scene = scenes.conv_scene(x, w, stride=2, padding=1, position=4)
    _, products = check_sum_line(logical_lines(scene.sum_text)[0])
    padded = np.pad(x[0], 1)
    expected = sorted(padded[r + 1, c + 1] for _, r, c in scene.highlighted["window"])
    assert sorted(a for a, _ in products) == expected
    assert sorted(b for _, b in products) == sorted(w.ravel())


def test_conv_scene_formula_substitutes_the_numbers():
    scene = scenes.conv_scene(np.zeros((1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2, padding=1)
    assert "\u230a(5 + 2\u00b71 \u2212 3)/2\u230b + 1 = 3" in scene.formula
    dilated = scenes.conv_scene(np.zeros((1, 7, 7)), np.ones((1, 1, 3, 3)), dilation=2)
    assert "\u230a(7 + 2\u00b70 \u2212 2\u00b7(3 \u2212 1) \u2212 1)/1\u230b + 1 = 3" in dilated.formula


def test_conv_scene_raises_the_message_of_the_call_it_shows():
    x, w = np.zeros((1, 4, 4)), np.ones((1, 1, 5, 5))
    with pytest.raises(ValueError) as shown:
        scenes.conv_scene(x, w)
    with pytest.raises(ValueError) as direct:
        convlib.conv2d(x, w)
    assert str(shown.value) == str(direct.value)
    assert "kernel 5 is larger than padded input 4" in str(shown.value)


def test_conv_scene_clamps_the_position_to_the_last_element():
    scene = scenes.conv_scene(np.zeros((1, 4, 4)), np.ones((1, 1, 3, 3)), position=99)
    assert scene.position == 3 and scene.out_index == (0, 1, 1)
    with pytest.raises(ValueError, match="conv_scene: position must be non-negative, got -1"):
        scenes.conv_scene(np.zeros((1, 4, 4)), np.ones((1, 1, 3, 3)), position=-1)


def test_conv_scene_call_computes_the_drawn_output():
    x = scenes.example_array((4, 5, 5))
    w = scenes.example_array((2, 2, 3, 3), -1, 1, seed=1)
    scene = scenes.conv_scene(x, w, stride=2, padding=1, groups=2)
    np.testing.assert_allclose(eval(scene.call, {"convlib": convlib, "x": x, "w": w}), scene.output)
    torch_out = eval(scene.torch_call, {"torch": torch, "x": torch.tensor(x), "w": torch.tensor(w)})
    np.testing.assert_allclose(torch_out.numpy(), scene.output)


# ----------------------------------------------------------------------------- dilated_scene


def stack_depends_on(kernel_size: int, dilations, length: int, top: int) -> set[int]:
    """Input positions that element ``top`` of a stack of 'same'-padded 1D convolutions reads.

    By torch autograd, as :func:`depends_on`.
    """
    x = torch.zeros((1, 1, length), dtype=torch.float64, requires_grad=True)
    y = x
    for d in dilations:
        y = F.conv1d(y, torch.ones((1, 1, kernel_size), dtype=torch.float64), padding="same", dilation=d)
    y[0, 0, top].backward()
    return set(np.flatnonzero(x.grad.numpy()[0, 0]).tolist())


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize(("kernel_size", "dilation", "layers"),
                         [(3, 1, 3), (3, 2, 3), (2, 3, 2), (4, 2, 4), (1, 2, 2)])
def test_dilated_scene_receptive_field_matches_torch_and_the_formula(kernel_size, dilation, layers):
    x = scenes.example_array((1, 9, 9))
    w = np.ones((1, 1, kernel_size, kernel_size))
    scene = scenes.dilated_scene(x, w, padding=kernel_size, dilation=dilation, layers=layers)
    dilations = [dilation**n for n in range(layers)]
    fed = sorted(j for (j,) in scene.highlighted["receptive_field"])
    cone = scene.arrays["cone"]
    top = cone.shape[1] // 2
    assert {j + top for j in fed} == stack_depends_on(kernel_size, dilations, cone.shape[1], top)
    assert fed[-1] - fed[0] + 1 == convlib.receptive_field([(kernel_size, 1, d) for d in dilations])
    assert scene.arrays["fields"] == convlib.receptive_fields([(kernel_size, 1, d) for d in dilations])
    np.testing.assert_array_equal(scene.arrays["dilated_kernel"], convlib.dilate_kernel(w, dilation))


# ----------------------------------------------------------------------------- separable_scene


def test_separable_scene_matches_torch_and_counts_the_lecture_way():
    x = scenes.example_array((3, 5, 5))
    wd = scenes.example_array((3, 1, 3, 3), -1, 1, seed=1)
    wp = scenes.example_array((4, 3, 1, 1), -1, 1, seed=2)
    depthwise = F.conv2d(torch.tensor(x), torch.tensor(wd), padding=1, groups=3)
    expected = F.conv2d(depthwise, torch.tensor(wp)).numpy()
    for position in range(expected.size):
        scene = scenes.separable_scene(x, wd, wp, padding=1, position=position)
        out_index = np.unravel_index(position, expected.shape)
        np.testing.assert_allclose(scene.output, expected)
        assert scene.value == pytest.approx(expected[out_index])
        reads = depends_on(lambda t, ones: F.conv2d(t, ones, padding=1, groups=3), x, wd.shape,
                           (0, *out_index[1:]))  # channel 0's window; the others are checked below
        assert inside({c for c in scene.highlighted["window"] if c[0] == 0}, x.shape[1:]) == reads
        values = [check_sum_line(line)[0] for line in logical_lines(scene.sum_text)]
        np.testing.assert_allclose(values[:3], depthwise.numpy()[(slice(None), *out_index[1:])])
        assert values[-1] == pytest.approx(scene.value)
    counts = scene.arrays["counts"]
    o = expected.shape[-1]
    assert counts["ordinary"] == 3 * 3 * 3 * o * o * 4  # K1*K2*C_I*W*H*C_O
    assert counts["separable"] == 3 * 3 * 3 * o * o + 3 * o * o * 4
    assert counts["ratio"] == pytest.approx(counts["separable"] / counts["ordinary"])
    assert "1/C_O + 1/(K1\u00b7K2) = 1/4 + 1/(3\u00b73)" in scene.formula


# ----------------------------------------------------------------------------- shuffle_scene


def shuffle_reach(channels: int, groups: int, shuffle: bool) -> np.ndarray:
    """Which inputs each output sees, from the definitions: group blocks and ShuffleNet's permutation."""
    size = channels // groups
    block = np.kron(np.eye(groups, dtype=bool), np.ones((size, size), dtype=bool))  # [in, out] of one layer
    if not shuffle:
        return (block.astype(int) @ block.astype(int)) > 0
    moved = np.zeros((channels, channels), dtype=int)  # h channel g*size + j lands at position j*groups + g
    for g in range(groups):
        for j in range(size):
            moved[g * size + j, j * groups + g] = 1
    return (block.astype(int) @ moved @ block.astype(int)) > 0


@pytest.mark.parametrize(("channels", "groups"), [(6, 3), (6, 2), (9, 3), (8, 2), (12, 4), (4, 1), (5, 5)])
def test_shuffle_scene_connectivity_matches_the_definition(channels, groups):
    for out in range(channels):
        scene = scenes.shuffle_scene(channels, groups, position=out)
        np.testing.assert_array_equal(scene.arrays["plain"], shuffle_reach(channels, groups, False))
        np.testing.assert_array_equal(scene.output, shuffle_reach(channels, groups, True))
        assert {c for (c,) in scene.highlighted["seen"]} == set(np.flatnonzero(scene.output[:, out]))
        assert scene.value == len(scene.highlighted["seen"])


def test_shuffle_lets_every_output_see_every_input_when_groups_squared_is_channels():
    """ShuffleNet's point: with g groups of g channels, two shuffled grouped layers mix everything."""
    for groups in (2, 3):
        scene = scenes.shuffle_scene(groups * groups, groups)
        assert scene.output.all()
        assert not scene.arrays["plain"].all()


def test_shuffle_scene_order_is_channel_shuffle_and_the_call_runs():
    scene = scenes.shuffle_scene(6, 3)
    assert "h' = h[0 2 4 1 3 5]" in scene.formula
    x = scenes.example_array((1, 6, 4, 4))
    w1, w2 = np.ones((6, 2, 1, 1)), scenes.example_array((6, 2, 1, 1), -1, 1, seed=2)
    ours = eval(scene.call, {"convlib": convlib, "x": x, "w1": w1, "w2": w2})
    theirs = eval(scene.torch_call, {"torch": torch, "x": torch.tensor(x), "w1": torch.tensor(w1),
                                     "w2": torch.tensor(w2)})
    np.testing.assert_allclose(ours, theirs.numpy())


def test_shuffle_scene_says_when_groups_do_not_divide_the_channels():
    with pytest.raises(ValueError, match=r"conv2d: in_channels \(6\) must be divisible by groups \(4\)"):
        scenes.shuffle_scene(6, 4)


@pytest.mark.parametrize(("channels", "groups", "says"), [
    (6, 0, "shuffle_scene: groups must be a positive int, got 0"),
    (-3, 1, "shuffle_scene: channels must be a positive int, got -3"),
    (6.0, 3, "shuffle_scene: channels must be a positive int, got 6.0"),
])
def test_shuffle_scene_refuses_sizes_that_are_not_positive_ints(channels, groups, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        scenes.shuffle_scene(channels, groups)


# ----------------------------------------------------------------------------- transposed_scene

TRANSPOSED_CASES = [(3, 3, 2, 1, 1), (2, 2, 2, 0, 0), (3, 3, 1, 0, 0), (4, 3, 3, 1, 2), (3, 2, 2, 2, 1),
                    (2, 4, 3, 0, 0), (3, 1, 2, 0, 1)]


@pytest.mark.parametrize(("i", "k", "s", "p", "a"), TRANSPOSED_CASES)
def test_transposed_scene_both_views_agree_with_torch(i, k, s, p, a):
    x = scenes.example_array((1, i, i))
    w = scenes.example_array((1, 1, k, k), -1, 1, seed=1)
    kwargs = {"stride": s, "padding": p, "output_padding": a}
    expected = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kwargs).numpy()
    for position in range(expected.size):
        scene = scenes.transposed_scene(x, w, position=position, **kwargs)
        out_index = np.unravel_index(position, expected.shape)
        np.testing.assert_allclose(scene.output, expected)
        np.testing.assert_allclose(scene.arrays["gathered"], expected)
        np.testing.assert_allclose(scene.arrays["scattered"], expected)
        contributors = depends_on(F.conv_transpose2d, x, w.shape, out_index, **kwargs)
        assert set(scene.highlighted["contributors"]) == contributors
        # The same elements are the non-zero cells under the flipped kernel's window.
        landed = scene.arrays["landed"]
        under = {int(landed[r, c]) - 1 for _, r, c in scene.highlighted["window"] if landed[r, c] > 0}
        assert under == {r * i + c for _, r, c in contributors}
        scatter, gather = logical_lines(scene.sum_text)
        assert check_sum_line(scatter)[0] == pytest.approx(expected[out_index])
        assert check_sum_line(gather)[0] == pytest.approx(expected[out_index])


def test_transposed_scene_marks_the_inserted_zeros():
    """z = s - 1 zeros between neighbours: ((i - 1) s + 1)^2 - i^2 inserted cells, all zero."""
    i, k, s = 3, 3, 2
    scene = scenes.transposed_scene(np.ones((1, i, i)), np.ones((1, 1, k, k)), stride=s, padding=1)
    inserted = scene.highlighted["inserted"]
    assert len(inserted) == ((i - 1) * s + 1) ** 2 - i * i
    assert all(scene.arrays["padded"][0][cell] == 0 for cell in inserted)
    assert "z = s \u2212 1 = 1,  p' = k \u2212 1 \u2212 p = 1" in scene.formula
    assert "max |zero insertion \u2212 scatter| = 0" in scene.formula


# ----------------------------------------------------------------------------- what a scene needs


def test_scenes_need_no_matplotlib_no_ipywidgets_and_no_torch():
    """Importing convlib.scenes, and computing a scene of every kind, loads none of the heavy packages."""
    code = ("import json, sys, numpy as np, convlib.scenes as s\n"
            "heavy = lambda: [m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules]\n"
            "imported = heavy()\n"
            "x, w = np.ones((2, 5, 5)), np.ones((2, 2, 3, 3))\n"
            "s.conv_scene(x, w); s.dilated_scene(x[:1], w[:1, :1], dilation=2)\n"
            "s.separable_scene(x, np.ones((2, 1, 3, 3)), np.ones((3, 2, 1, 1))); s.shuffle_scene(6, 3)\n"
            "s.transposed_scene(x[:1], w[:1, :1], stride=2)\n"
            "print(json.dumps({'import': imported, 'scenes': heavy()}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"import": [], "scenes": []}
