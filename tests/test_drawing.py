"""The explorers' pure drawing functions (convlib.drawing), without a browser or ipywidgets.

Scenes come from convlib.scenes (tested in test_scenes.py). Here the pictures are checked
pixel by pixel where the highlight should be, and a figure redrawn in place is compared
with one drawn fresh.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from convlib import drawing, scenes

# ----------------------------------------------------------------------------- readers


def png_pixels(fig: Figure, dpi: int = 100) -> np.ndarray:
    from io import BytesIO

    from PIL import Image

    return np.asarray(Image.open(BytesIO(drawing.to_png(fig, dpi))).convert("RGB"))


def cell_pixel(fig: Figure, pixels: np.ndarray, panel: str, row: int, col: int) -> np.ndarray:
    """RGB of cell (row, col) (in the panel's own index, padding negative) of a drawn panel.

    Sampled a quarter of a cell in from the cell's top-left corner: clear of the white
    borders and of the number in the middle.
    """
    grid = fig._convlib_board.grids[panel]
    x, y = grid.corner(row, col)
    height_in = fig.get_figheight()
    scale = pixels.shape[1] / fig.get_figwidth()
    px = int((x + 0.25 * grid.cell) * scale)
    py = int((height_in - (y - 0.25 * grid.cell)) * scale)
    return pixels[py, px]


def rgb(color: str) -> np.ndarray:
    return np.round(np.array(to_rgba(color)[:3]) * 255)


# ----------------------------------------------------------------------------- pictures

ex = scenes.example_array


def ones(*shape):
    return np.ones(shape)


# Two scenes per draw function, the second with other sizes and fewer panels, so that
# redrawing in place must resize, move and hide.
PICTURES = {
    "conv2d": (drawing.draw_conv2d,
               lambda: scenes.conv_scene(ex((1, 5, 5)), ones(1, 1, 3, 3), padding=1, position=7),
               lambda: scenes.conv_scene(ex((1, 7, 7)), ones(1, 1, 2, 2), stride=2, position=5)),
    "conv1d": (drawing.draw_conv1d,
               lambda: scenes.conv_scene(ex((1, 8)), ones(1, 1, 3), stride=2, padding=1, position=2),
               lambda: scenes.conv_scene(ex((1, 12)), ones(1, 1, 2), dilation=3, position=6)),
    "multichannel": (drawing.draw_multichannel,
                     lambda: scenes.conv_scene(ex((4, 4, 4)), ones(2, 2, 3, 3), padding=1, groups=2,
                                                position=20),
                     lambda: scenes.conv_scene(ex((2, 5, 5)), ones(1, 2, 2, 2), position=3)),
    "conv3d": (drawing.draw_conv3d,
               lambda: scenes.conv_scene(ex((1, 3, 4, 4)), ones(1, 1, 2, 2, 2), padding=1, position=30),
               lambda: scenes.conv_scene(ex((1, 2, 3, 3)), ones(1, 1, 1, 2, 2), position=1)),
    "dilated": (drawing.draw_dilated,
                lambda: scenes.dilated_scene(ex((1, 7, 7)), ones(1, 1, 3, 3), dilation=2, position=4),
                lambda: scenes.dilated_scene(ex((1, 5, 5)), ones(1, 1, 2, 2), padding=1, layers=2,
                                              position=2)),
    "separable": (drawing.draw_separable,
                  lambda: scenes.separable_scene(ex((2, 4, 4)), ones(2, 1, 3, 3), ones(3, 2, 1, 1),
                                                  padding=1, position=9),
                  lambda: scenes.separable_scene(ex((1, 3, 3)), ones(1, 1, 2, 2), ones(2, 1, 1, 1),
                                                  position=1)),
    "shuffle": (drawing.draw_shuffle,
                lambda: scenes.shuffle_scene(6, 3, position=4),
                lambda: scenes.shuffle_scene(4, 2, position=1)),
    "transposed": (drawing.draw_transposed,
                   lambda: scenes.transposed_scene(ex((1, 3, 3)), ones(1, 1, 3, 3), stride=2, padding=1,
                                                    output_padding=1, position=8),
                   lambda: scenes.transposed_scene(ex((1, 2, 2)), ones(1, 1, 2, 2), position=4)),
}


@pytest.mark.parametrize("name", PICTURES)
def test_redrawing_in_place_gives_the_fresh_picture(name):
    """A figure updated from another scene looks exactly like one drawn fresh (the explorers' fast path)."""
    draw, first, second = PICTURES[name]
    reused = draw(second(), draw(first(), footer=False), footer=False)
    fresh = draw(second(), footer=False)
    assert reused.get_size_inches().tolist() == fresh.get_size_inches().tolist()
    np.testing.assert_array_equal(png_pixels(reused), png_pixels(fresh))


@pytest.mark.parametrize("name", PICTURES)
def test_footer_writes_the_sum_and_the_formula(name):
    draw, first, _ = PICTURES[name]
    scene = first()
    fig = draw(scene)
    assert fig._convlib_board.footer.get_text() == f"{scene.sum_text}\n{scene.formula}"
    assert draw(scene, fig, footer=False)._convlib_board.footer.get_text() == ""
    assert isinstance(fig, Figure)


def test_conv2d_picture_paints_the_window_and_the_element_where_convlib_says():
    scene = scenes.conv_scene(ex((1, 5, 5)), ones(1, 1, 3, 3), stride=2, padding=1, position=2)
    fig = drawing.draw_conv2d(scene, footer=False)
    pixels = png_pixels(fig)
    window = {(r, c) for _, r, c in scene.highlighted["window"]}
    for r in range(-1, 6):
        for c in range(-1, 6):
            padding = not (0 <= r < 5 and 0 <= c < 5)
            expected = ((drawing.WINDOW_PADDING if padding else drawing.WINDOW) if (r, c) in window
                        else drawing.PADDING if padding else drawing.INPUT)
            np.testing.assert_allclose(cell_pixel(fig, pixels, "input", r, c), rgb(expected), atol=2,
                                       err_msg=f"input cell {(r, c)}")
    _, r_out, c_out = scene.out_index
    for r in range(3):
        for c in range(3):
            expected = drawing.OUTPUT if (r, c) == (r_out, c_out) else drawing.OUTPUT_CELLS
            np.testing.assert_allclose(cell_pixel(fig, pixels, "output", r, c), rgb(expected), atol=2)


def test_transposed_picture_hatches_inserted_zeros_and_greys_padding():
    scene = scenes.transposed_scene(ex((1, 3, 3)), ones(1, 1, 3, 3), stride=2, padding=1, output_padding=1,
                                     position=0)
    fig = drawing.draw_transposed(scene, footer=False)
    grid = fig._convlib_board.grids["padded"]
    landed = scene.arrays["landed"]
    window = {(r, c) for _, r, c in scene.highlighted["window"]}
    for (r, c), number in np.ndenumerate(landed):
        color = tuple(grid.colors[r, c])
        if (r, c) in window:
            assert color in (to_rgba(drawing.WINDOW), to_rgba(drawing.WINDOW_PADDING))
        elif number > 0:
            assert color == to_rgba(drawing.INPUT)
        elif (r, c) in scene.highlighted["inserted"]:
            assert color == to_rgba(drawing.INSERTED)
        else:
            assert color == to_rgba(drawing.PADDING)
    assert set(grid.hatched) == set(scene.highlighted["inserted"])


def test_numbers_in_cells_are_the_values():
    scene = scenes.conv_scene(ex((1, 4, 4)), ex((1, 1, 3, 3), -1, 1, seed=1), padding=1)
    fig = drawing.draw_conv2d(scene)
    board = fig._convlib_board
    labels = board.grids["input"].labels
    assert labels[1:-1, 1:-1].tolist() == [[scenes._fmt(v) for v in row] for row in scene.arrays["input"][0]]
    assert set(labels[0].tolist()) == {"0"}  # the padding row
    assert board.grids["kernel"].labels.tolist() == [[scenes._fmt(v) for v in row]
                                                     for row in scene.arrays["weight"][0, 0]]


def test_to_png_gives_png_bytes_at_the_asked_resolution():
    fig = drawing.draw_conv1d(PICTURES["conv1d"][1](), footer=False)
    data = drawing.to_png(fig, dpi=50)
    assert data.startswith(b"\x89PNG")
    assert png_pixels(fig, dpi=50).shape[1] == round(fig.get_figwidth() * 50)


def test_drawing_needs_no_pyplot_and_no_ipywidgets():
    code = ("import sys, convlib.drawing as d, convlib.scenes as s, numpy as np; "
            "d.to_png(d.draw_conv2d(s.conv_scene(np.ones((1, 4, 4)), np.ones((1, 1, 3, 3))))); "
            "print('matplotlib.pyplot' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ----------------------------------------------------------------------------- legible on screen


def explorer_pictures(seed: int = 0, randoms: int = 25):
    """(explorer name, params, figure) for every explorer: its defaults, each slider at its ends, random
    combinations; only the valid ones (an invalid one keeps the last picture)."""
    from convlib import widgets

    rng = np.random.default_rng(seed)
    for name, cls in widgets.EXPLORERS.items():
        explorer = cls()
        combos = [{}]
        for slider, (low, high, *_) in cls.sliders.items():
            combos += [{slider: low}, {slider: high}]
        combos += [{s: int(rng.integers(low, high + 1)) for s, (low, high, *_) in cls.sliders.items()}
                   for _ in range(randoms)]
        for combo in combos:
            explorer.set(**{**{s: d for s, (_, _, d, _) in cls.sliders.items()}, **combo})
            if not explorer.state.message:
                yield name, dict(explorer.params), explorer.figure


def shown_grids(fig: Figure):
    board = fig._convlib_board
    return [board.grids[name] for name in board.shown]


def test_a_number_in_a_cell_is_as_high_as_any_other():
    """Every number the explorers show has the same digit height; long ones are condensed, not shrunk
    (before, "−13" was drawn at 0.84 of "4" beside it, and "−0.333" at half)."""
    up = drawing._label_scale("0")[1]
    seen = set()
    for _, _, fig in explorer_pictures(randoms=10):
        for grid in shown_grids(fig):
            if grid.labels is not None:
                seen.update(grid.labels.ravel().tolist())
    assert {"\u221213", "\u22121", "0"} <= seen  # two-digit negatives are among them
    for text in seen:
        across, high = drawing._label_scale(text)
        assert high == pytest.approx(up), text
        width = drawing._outline(text, narrow_minus=True)[2] * across
        assert 0 < width <= drawing.LABEL_WIDTH + 1e-12, text
        vertices, _ = drawing._cell_glyph(text)
        assert np.abs(vertices[:, 0]).max() <= drawing.LABEL_WIDTH / 2 + 1e-9, text
    # Past the explorers' range a number is condensed first, and made smaller only a little.
    assert drawing._label_scale("\u2212144")[1] > 0.95 * up
    assert drawing._label_scale("\u22120.333")[1] > 0.7 * up


def test_numbers_are_drawn_only_where_they_are_legible():
    """A cell smaller than MIN_LABEL_CELL (17 px on screen) gets no number; at every explorer's
    defaults every cell has one."""
    from convlib import widgets

    for name, cls in widgets.EXPLORERS.items():
        fig = cls().figure
        for grid in shown_grids(fig):
            if grid.labels is not None:
                assert grid.cell >= drawing.MIN_LABEL_CELL, f"{name}: a grid too small for its numbers"
    without = 0
    for name, params, fig in explorer_pictures(randoms=10):
        board = fig._convlib_board
        grids = [g for g in shown_grids(fig) if g.labels is not None]
        legible = [g for g in grids if g.cell >= drawing.MIN_LABEL_CELL]
        without += len(legible) < len(grids)
        # What was inked: exactly the words, and the numbers of the legible grids.
        expected = sum(len(drawing._outline(text)[0]) for text, *_ in board.word_boxes) + sum(
            len(drawing._cell_glyph(text)[0]) for g in legible for text in g.labels.ravel())
        inked = sum(len(p.get_path().vertices) for p in board.ink.values() if p.get_visible())
        assert inked == expected, (name, params)
    assert without > 0  # the extremes of some explorers are too large for numbers


@pytest.mark.parametrize(("name", "values", "rows"), [
    ("conv3d", {"depth": 4, "input_size": 4, "kernel_size": 2, "stride": 2, "padding": 1}, 2),
    ("separable", {"in_channels": 3, "out_channels": 2, "input_size": 3, "kernel_size": 3, "padding": 0}, 2),
])
def test_a_row_too_wide_for_its_numbers_is_wrapped(name, values, rows):
    """Six padded depth slices of 6x6 in one row leave 0.17 in per cell, too small for numbers; in
    two lines of three, every cell keeps its number. ``rows``: the rows the draw function asks for."""
    from convlib import widgets

    explorer = widgets.EXPLORERS[name](**values)
    board = explorer.figure._convlib_board
    assert board.lines > rows
    assert min(g.cell for g in shown_grids(explorer.figure) if g.labels is not None) >= drawing.MIN_LABEL_CELL


def boxes_overlap(a, b, tolerance=1e-6) -> bool:
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a, b
    return ax0 < bx1 - tolerance and bx0 < ax1 - tolerance and ay0 < by1 - tolerance and by0 < ay1 - tolerance


def test_no_word_runs_into_a_panel_or_another_word():
    """Titles, operators and names sit clear of every panel and of each other, inside the picture:
    before, the title of a 1x1 output ran over the kernel beside it."""
    checked = 0
    for name, params, fig in explorer_pictures(randoms=15):
        board = fig._convlib_board
        width, height = fig.get_size_inches()
        words = [(text, (x0, y0, x1, y1)) for text, x0, y0, x1, y1 in board.word_boxes]
        panels = [(n, (g.box[0], g.box[1], g.box[0] + g.box[2], g.box[1] + g.box[3])) for n, g in
                  ((n, board.grids[n]) for n in board.shown)]
        for text, box in words:
            assert 0 <= box[0] and box[2] <= width and 0 <= box[1] and box[3] <= height, (name, params, text)
            for panel, area in panels:
                assert not boxes_overlap(box, area), (name, params, text, panel)
        for (text, box), (other, box2) in itertools.combinations(words, 2):
            assert not boxes_overlap(box, box2), (name, params, text, other)
        for (n1, a1), (n2, a2) in itertools.combinations(panels, 2):
            assert not boxes_overlap(a1, a2), (name, params, n1, n2)
        checked += 1
    assert checked > 100


def test_a_one_by_one_output_keeps_its_title_clear_of_the_kernel():
    scene = scenes.conv_scene(ex((1, 3, 3)), ones(1, 1, 3, 3))
    fig = drawing.draw_conv2d(scene, footer=False)
    board = fig._convlib_board
    title = next(box for text, *box in board.word_boxes if text.startswith("output 1\u00d71"))
    kernel = board.grids["kernel"].box
    assert title[0] > kernel[0] + kernel[2]  # starts right of the kernel panel


def test_every_picture_fits_the_height_an_explorer_has_in_a_1024x768_window():
    """At most _MAX_HEIGHT inches of panels: 423 px on screen, which leaves the sliders above it in view."""
    heights = [fig.get_figheight() for _, _, fig in explorer_pictures(randoms=15)]
    assert max(heights) <= drawing._MAX_HEIGHT + 0.1 + 1e-9
    assert min(heights) > 1.0


def test_to_png_at_twice_the_screen_resolution_is_twice_as_wide():
    fig = drawing.draw_conv2d(PICTURES["conv2d"][1](), footer=False)
    pixels = png_pixels(fig, dpi=2 * drawing.SCREEN_DPI)
    assert pixels.shape[1] == 2 * drawing.screen_width() == round(2 * drawing.SCREEN_DPI * fig.get_figwidth())
    assert pixels.shape[0] == round(2 * drawing.SCREEN_DPI * fig.get_figheight())
    # The fast encoder's picture is the one savefig makes (RGB, opaque).
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=2 * drawing.SCREEN_DPI, facecolor="white")
    reference = np.asarray(Image.open(buffer).convert("RGB"))
    assert reference.shape == pixels.shape
    assert np.abs(reference.astype(int) - pixels).max() <= 2
