"""The explorers' pure drawing functions (convlib.drawing), without a browser or ipywidgets.

Scenes come from convlib.scenes (tested in test_scenes.py). Here the pictures are checked
pixel by pixel where the highlight should be, and a figure redrawn in place is compared
with one drawn fresh.
"""

from __future__ import annotations

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
