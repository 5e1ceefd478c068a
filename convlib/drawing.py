"""Drawing: paint a :class:`convlib.scenes.Scene` as a matplotlib figure.

The pictures behind the explorers of :mod:`convlib.widgets`. What to show is
worked out by a scene function of :mod:`convlib.scenes`; a *draw* function
here (:func:`draw_conv2d`, :func:`draw_conv1d`, :func:`draw_multichannel`,
:func:`draw_conv3d`, :func:`draw_dilated`, :func:`draw_separable`,
:func:`draw_shuffle`, :func:`draw_transposed`) takes that scene and returns a
:class:`matplotlib.figure.Figure`, and :func:`to_png` encodes it. Both steps
are pure, so that a notebook, a test or a script can use either without a
browser. Nothing is computed here a second time: every number, window and
highlighted cell comes from the scene.

Figures use matplotlib's object API (``Figure``, never pyplot), so no backend
or display is needed. Pass the figure of a previous call as ``fig`` to redraw
it in place: artists are updated (``set_data``, ``set_path``) rather than
rebuilt, which keeps a redraw well under 50 ms, and the picture is the same
as a fresh figure's. Cell numbers are glyph outlines gathered into one path
per colour, because hundreds of ``Text`` artists would cost about 0.3 ms each
per redraw.

Sizes, for the screen: a picture is 8 inches wide and shown at :data:`SCREEN_DPI`
(720 CSS px; the explorers encode it at twice that, for displays of device scale
factor 2). Its height follows its panels, at most ``_MAX_HEIGHT`` (423 px), so that
an explorer's sliders and picture fit a 1024x768 window together. All panels of a
picture share one cell size; a panel is at least as wide as its title; a row too
wide for legible numbers is wrapped onto more lines when that gives larger cells.
A number in a cell is as high as every other (long ones are condensed), and a cell
too small for a legible number (:data:`MIN_LABEL_CELL`) gets none.

Colours, the same in every picture: :data:`WINDOW` (orange) for the input
cells under the kernel, :data:`OUTPUT` (green) for the output element they
produce, :data:`PADDING` (grey) for zero padding, pale and hatched
(:data:`INSERTED`) for inserted zeros.
"""

from __future__ import annotations

import functools
import itertools
import math
import struct
import zlib
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath, TextToPath

from .scenes import _ARROW, Scene, _fmt, _index

__all__ = [
    "INPUT",
    "INSERTED",
    "KERNEL",
    "LABEL_HEIGHT",
    "LABEL_WIDTH",
    "MIN_LABEL_CELL",
    "OUTPUT",
    "OUTPUT_CELLS",
    "PADDING",
    "SCREEN_DPI",
    "WINDOW",
    "draw_conv1d",
    "draw_conv2d",
    "draw_conv3d",
    "draw_dilated",
    "draw_multichannel",
    "draw_separable",
    "draw_shuffle",
    "draw_transposed",
    "screen_width",
    "text_width",
    "to_png",
]

# --------------------------------------------------------------------------- colours
# Okabe-Ito hues, told apart with the common colour-vision deficiencies.

WINDOW = "#E69F00"  # input cells under the kernel
WINDOW_EDGE = "#9A5B00"  # outline around the window's span
WINDOW_PADDING = "#F6D58E"  # window cells that lie in the zero padding
KERNEL = "#FBE6BD"  # kernel taps: a pale window colour, as they multiply the window
INPUT = "#D6E4F2"  # ordinary input cells
OUTPUT = "#009E73"  # the output element being computed
OUTPUT_EDGE = "#005A40"
OUTPUT_CELLS = "#CBEBDF"  # the other output elements
PADDING = "#C4C4C4"  # zero padding
INSERTED = "#F7F7F7"  # zeros inserted between input elements (also hatched)
DIM = "#EEEEEE"  # cells that take no part in the highlighted element
GROUP_COLORS = ("#0072B2", "#D55E00", "#CC79A7", "#56B4E9", "#009E73", "#E69F00")

_HATCH = "#A8A8A8"
_TONES = {"dark": "#222222", "light": "#FFFFFF", "faint": "#8A8A8A"}  # label colours
_FIGURE_WIDTH = 8.0  # inches: 800 px at the README's 100 dpi
SCREEN_DPI = 90  # CSS pixels per inch of the explorers' pictures: they are shown 720 px wide
_DPI = SCREEN_DPI  # a fresh figure's dots per inch
_MAX_CELL = 0.34  # inches: a small grid stays small instead of filling its panel
_GOOD_CELL = 0.25  # inches: numbers 8.5 px high on screen; a row is wrapped only to reach this
MIN_LABEL_CELL = 0.19  # inches: the smallest cell that still gets its number (6.5 px high on screen)
_MAX_HEIGHT = 4.7  # inches: the tallest picture (423 px), so that an explorer fits a 1024x768 window
_FOOTER_LINE = 0.175  # inches per footer line
_TITLE = 0.27  # inches above each row of panels, for the titles
_TITLE_SIZE = 8.5  # points
_LINE_GAP = 0.08  # inches between two lines of panels
_STACK_ROW = 0.15  # inches: the least height of a row of the dilated stack, for its 7.5 pt names
_OP_WIDTH = 0.3  # inches for an operator (*, =, ->) between two panels

# A number in a cell: its digits LABEL_HEIGHT of the cell high, whatever its length. A long number
# is condensed (down to _MIN_SQUEEZE of its width) to fit LABEL_WIDTH of the cell, and only made
# smaller if that is not enough, so that "−13" reads as large as "4" beside it.
LABEL_HEIGHT = 0.38
LABEL_WIDTH = 0.8
_MIN_SQUEEZE = 0.66


# --------------------------------------------------------------------------- glyphs
# All words and numbers are glyph outlines, gathered into one path per colour: a
# matplotlib Text costs about 1.5 ms per redraw (it is laid out and rendered glyph by
# glyph), a path of a thousand glyphs well under one.

_FONT = FontProperties(family="DejaVu Sans", size=1)
_TEXT_TO_PATH = TextToPath()
_EMPTY = Path(np.zeros((1, 2)))
_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])  # a unit cell, counter-clockwise
_SQUARE_LOOP = np.vstack([_SQUARE, _SQUARE[:1]])  # the same as a closed path
_LOOP_CODES = np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
                       dtype=Path.code_type)


@functools.cache
def _digit_box():
    return TextPath((0, 0), "0", size=1, prop=_FONT).get_extents()


@functools.cache
def _character(char: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Outline of one character at font size 1, and how far it advances the pen."""
    advance, _, _ = _TEXT_TO_PATH.get_text_width_height_descent(char, _FONT, ismath=False)
    if char.isspace():  # no outline (and TextPath fails on a lone space)
        return np.zeros((0, 2)), np.zeros(0, dtype=Path.code_type), advance
    path = TextPath((0, 0), char, size=1, prop=_FONT)
    return path.vertices, path.codes, advance


@functools.cache
def _narrow_minus() -> tuple[np.ndarray, np.ndarray, float]:
    """The minus sign as a bar 0.4 em long (DejaVu's is 0.84 em wide, as wide as "+"), at its height.

    For the numbers in cells: "−13" then takes the width of about two and a half digits.
    """
    vertices, codes, _ = _character("\u2212")
    bar = Path(vertices, codes).get_extents()
    x0, x1, y0, y1 = 0.08, 0.48, bar.y0, bar.y1
    square = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
    return square, _LOOP_CODES.copy(), 0.56


@functools.lru_cache(maxsize=4096)
def _outline(text: str, narrow_minus: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """Outline of ``text`` at font size 1: left end of the baseline at (0, 0), y up; and its width.

    Put together from cached characters (without kerning): a TextPath of a whole
    new title costs about 2 ms, and titles change with every position.
    """
    vertices, codes, x = [], [], 0.0
    for char in text:
        v, c, advance = _narrow_minus() if narrow_minus and char == "\u2212" else _character(char)
        vertices.append(v + (x, 0))
        codes.append(c)
        x += advance
    if not vertices:
        return np.zeros((0, 2)), np.zeros(0, dtype=Path.code_type), x
    return np.concatenate(vertices), np.concatenate(codes), x


def text_width(text: str, size: float = _TITLE_SIZE) -> float:
    """Inches that ``text`` takes at ``size`` points, as :meth:`_Board.write` writes it."""
    return _outline(text)[2] * size / 72


def _label_scale(text: str) -> tuple[float, float]:
    """How much a number in a cell is scaled from font size 1: ``(across, up)``, in cells.

    Up: its digits :data:`LABEL_HEIGHT` high. Across the same, unless the text would be
    wider than :data:`LABEL_WIDTH`: then condensed to fit, down to :data:`_MIN_SQUEEZE` of
    its width; only past that is the whole made smaller.
    """
    width = _outline(text, narrow_minus=True)[2]
    up = LABEL_HEIGHT / _digit_box().height
    squeeze = min(1.0, LABEL_WIDTH / (width * up)) if width else 1.0
    if squeeze < _MIN_SQUEEZE:
        up *= squeeze / _MIN_SQUEEZE
        squeeze = _MIN_SQUEEZE
    return up * squeeze, up


@functools.cache
def _cell_glyph(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``text`` to fit a unit cell, centred on (0, 0), scaled by :func:`_label_scale`.

    Centred on the digits' middle, not the text's, so that "−1" and "1" share a baseline.
    """
    vertices, codes, width = _outline(text, narrow_minus=True)
    digit = _digit_box()
    return (vertices - (width / 2, (digit.y0 + digit.y1) / 2)) * _label_scale(text), codes


def _join(pieces) -> Path | None:
    """One compound path of ``(vertices, codes)`` pieces."""
    pieces = list(pieces)
    if not pieces:
        return None
    return Path(np.concatenate([v for v, _ in pieces]), np.concatenate([c for _, c in pieces]))


# --------------------------------------------------------------------------- boards: reusable artists


class _Grid:
    """One panel of coloured, numbered cells: where the layout put it and what it shows.

    A grid draws nothing itself; :meth:`_Board.finish` draws every grid of a figure
    with the same few artists.
    """

    def __init__(self):
        self.box = (0.0, 0.0, 1.0, 1.0)  # x, y, width, height in inches, set by the layout
        self.cell = 1.0  # inches per cell
        self.cell_h = None  # inches per row of cells, if not ``cell`` (a long strip: narrow, taller cells)
        self.colors = np.zeros((1, 1, 4))
        self.labels = self.tones = None
        self.origin = (0, 0)
        self.hatched, self.outlines, self.title = (), (), ""

    def show(self, colors: np.ndarray, labels=None, tones=None, origin=(0, 0), hatched=(), outlines=(),
             title: str = "") -> None:
        """Show ``colors`` (rows, cols, 4), numbered with ``labels`` in ``tones`` (str arrays, same grid).

        ``origin`` is the index (row, col) of the top-left cell, e.g. ``(-p, -p)`` for a padded
        input, so that padding has negative indices as in :func:`convlib.kernel_positions`.
        ``hatched`` lists cells (row, col, from 0 at the top-left) to hatch; ``outlines``
        lists rectangles ``(row_min, col_min, row_max, col_max, color)`` in the ``origin`` index,
        optionally with a last ``inset`` (in cells) to tell overlapping rectangles apart.
        """
        self.colors, self.labels, self.tones, self.origin = colors, labels, tones, origin
        self.hatched, self.outlines, self.title = hatched, outlines, title

    def corner(self, row, col):
        """Inches of the top-left corner of cell (row, col), in the ``origin`` index."""
        x, y, _, h = self.box
        r0, c0 = self.origin
        return x + (np.asarray(col) - c0) * self.cell, y + h - (np.asarray(row) - r0) * self.row_height

    @property
    def row_height(self) -> float:
        return self.cell if self.cell_h is None else self.cell_h


class _Board:
    """The reusable artists of one figure, in inches from its bottom-left corner.

    Every cell of every grid is one quadrilateral of a single ``PolyCollection``
    (white edges make the cell borders); numbers and words are one path per
    colour; hatching one patch; outlines one ``LineCollection``. So a redraw
    costs the same few artists whatever the number of panels.
    """

    def __init__(self, fig: Figure, kind: str):
        self.fig, self.kind = fig, kind
        self.grids: dict[str, _Grid] = {}
        self.axes: dict[str, Any] = {}  # extra axes a draw function keeps (bars, networks)
        self.used: set[str] = set()  # the grids of the picture being drawn
        self.shown: set[str] = set()  # the grids of the last picture drawn
        self.words: list[tuple[str, float, float, float, str, str, str]] = []
        self.word_boxes: list[tuple[str, float, float, float, float]] = []  # the last picture's words, inches
        self.bottom = 0.05  # inches under the panels: the footer's, see start()
        self.footer = fig.text(0.015, 0.01, "", fontsize=8.5, va="bottom", ha="left", linespacing=1.3,
                               color=_TONES["dark"])
        self.canvas = ax = fig.add_axes((0, 0, 1, 1), zorder=10)
        ax.set_axis_off()
        self.cells = ax.add_collection(PolyCollection([], edgecolors="white", linewidths=1.0))
        self.hatch = ax.add_patch(PathPatch(_EMPTY, facecolor="none", edgecolor="none", hatchcolor=_HATCH,
                                            hatch="////", linewidth=0))
        self.ink: dict[str, PathPatch] = {}
        self.outlines = ax.add_collection(LineCollection([], linewidths=1.8, capstyle="projecting", zorder=4))

    def start(self, scene: Scene, footer: bool) -> None:
        """Begin a picture: the footer is the scene's sum of products and formula, if ``footer``.

        The explorers leave it out and write both as HTML under the picture, where the text
        can be selected and costs nothing to redraw. :meth:`arrange` or :meth:`size` then
        sizes the figure.
        """
        text = f"{scene.sum_text}\n{scene.formula}" if footer else ""
        self.bottom = (text.count("\n") + 1) * _FOOTER_LINE + 0.22 if footer else 0.05
        self.footer.set_text(text)

    def size(self, panels: float) -> tuple[float, float]:
        """Make the figure ``panels`` inches high over the footer; return the panels' (bottom, top).

        Rounded up to a whole CSS pixel, so that the picture is a whole number of pixels high on
        screen at any integer device scale factor (Agg would cut off the fraction).
        """
        height = math.ceil((self.bottom + panels + 0.05) * SCREEN_DPI - 1e-9) / SCREEN_DPI
        self.fig.set_size_inches(_FIGURE_WIDTH, height)
        self.footer.set_position((0.12 / _FIGURE_WIDTH, 0.1 / height))
        self.canvas.set_xlim(0, _FIGURE_WIDTH)
        self.canvas.set_ylim(0, height)
        return self.bottom, height - 0.05

    def grid(self, name: str) -> _Grid:
        self.used.add(name)
        return self.grids.setdefault(name, _Grid())

    def write(self, text: str, x: float, y: float, size: float = 8.5, ha: str = "center", va: str = "bottom",
              color: str = _TONES["dark"]) -> None:
        """Write ``text`` at ``(x, y)``, ``size`` points, aligned like a matplotlib Text."""
        if text:
            self.words.append((text, x, y, size, ha, va, color))

    def place(self, ax, x: float, y: float, w: float, h: float) -> None:
        """Put ``ax`` at ``(x, y)``, ``w`` by ``h``."""
        width, height = self.fig.get_size_inches()
        ax.set_position((x / width, y / height, w / width, h / height))

    def finish(self) -> Figure:
        """Draw the grids used since the last call, their titles, and the words."""
        quads, faces, hatched, segments, colours = [], [], [], [], []
        ink: dict[str, list] = {}
        for name in self.used:
            grid = self.grids[name]
            rows, cols = grid.colors.shape[:2]
            r, c = np.mgrid[:rows, :cols]
            x, y = grid.corner(r + grid.origin[0], c + grid.origin[1])
            size = np.array([grid.cell, grid.row_height])  # a cell's width and height
            # (rows * cols, 4, 2): each cell's corners, y up
            quads.append(np.stack([x.ravel(), y.ravel() - size[1]], axis=-1)[:, None] + _SQUARE * size)
            faces.append(grid.colors.reshape(-1, 4))
            for hr, hc in grid.hatched:
                hx, hy = grid.corner(hr + grid.origin[0], hc + grid.origin[1])
                hatched.append((_SQUARE_LOOP * size + (hx, hy - size[1]), _LOOP_CODES))
            if grid.labels is not None and grid.cell >= MIN_LABEL_CELL:
                for (hr, hc), text in np.ndenumerate(grid.labels):
                    vertices, codes = _cell_glyph(text)
                    cx, cy = grid.corner(hr + grid.origin[0], hc + grid.origin[1])
                    ink.setdefault(_TONES[grid.tones[hr, hc]], []).append(
                        (vertices * grid.cell + (cx + grid.cell / 2, cy - grid.cell / 2), codes))
            for r_min, c_min, r_max, c_max, color, *inset in grid.outlines:
                gap = (inset[0] if inset else 0.0) * grid.cell
                (x0, x1), (y1, y0) = grid.corner((r_min, r_max + 1), (c_min, c_max + 1))
                x0, x1, y0, y1 = x0 + gap, x1 - gap, y0 + gap, y1 - gap
                segments += [((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)),
                             ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))]
                colours += [color] * 4
            x, y, w, h = grid.box
            self.write(grid.title, x + w / 2, y + h + 0.05)
        self.cells.set_verts(np.concatenate(quads) if quads else [])
        self.cells.set_facecolor(np.concatenate(faces) if faces else "none")
        path = _join(hatched)
        self.hatch.set_visible(path is not None)
        self.hatch.set_path(path or _EMPTY)
        self.outlines.set_segments(segments)
        self.outlines.set_color(colours or ["none"])

        digit = _digit_box()
        self.word_boxes = []
        for text, x, y, size, ha, va, color in self.words:
            vertices, codes, width = _outline(text)
            dx = {"left": 0, "center": -width / 2, "right": -width}[ha]
            dy = {"bottom": 0.25, "center": -(digit.y0 + digit.y1) / 2, "top": -digit.y1}[va]
            # font size 1 is one point: 1/72 inch
            placed = (vertices + (dx, dy)) * (size / 72) + (x, y)
            ink.setdefault(color, []).append((placed, codes))
            if len(placed):
                (x0, y0), (x1, y1) = placed.min(axis=0), placed.max(axis=0)
                self.word_boxes.append((text, float(x0), float(y0), float(x1), float(y1)))
        for color in set(self.ink) | set(ink):
            if color not in self.ink:
                self.ink[color] = self.canvas.add_patch(PathPatch(_EMPTY, facecolor=color, edgecolor="none",
                                                                  linewidth=0, zorder=3))
            path = _join(ink.get(color, []))
            self.ink[color].set_visible(path is not None)
            self.ink[color].set_path(path or _EMPTY)
        self.shown, self.used, self.words = self.used, set(), []
        return self.fig

    def arrange(self, rows, above: float = 0.0, below: float = 0.0, gap: float = 0.3,
                side: float = 0.12) -> tuple[float, float]:
        """Lay grid panels out in rows with one common cell size, size the figure to fit them, place them.

        ``rows`` is a list of rows, each a list of entries: a panel ``(grid, (n_rows, n_cols))``;
        a column of panels ``[(grid, shape), (grid, shape), ...]``, stacked top to bottom (the
        panels of columns side by side line up: e.g. each kernel under the input it multiplies);
        or a string, an operator such as ``"*"`` written between two entries. ``None`` for a grid
        keeps its place empty. Call :meth:`_Grid.show` first: a panel is at least as wide as
        its title, so that no title runs into its neighbour (a 1x1 output has a long title).

        The cell size is the largest that lets every row fit the width and the whole the
        height budget (:data:`_MAX_HEIGHT` less ``above`` and ``below``), at most :data:`_MAX_CELL`.
        A row too wide for legible numbers (cells under :data:`_GOOD_CELL`) is wrapped into two
        or three lines, if that gives larger cells. The figure is then as high as its panels:
        ``below`` inches over the footer, the panels, ``above`` inches over them; the return
        value is ``(bottom, top)``, the bottom of the band below and the top of the band above.
        """
        free_w = _FIGURE_WIDTH - 2 * side
        options = [_line_options(row, free_w, gap) for row in rows]
        budget = _MAX_HEIGHT - above - below
        best = None
        for choice in itertools.product(*(o.values() for o in options)):
            lines = [line for option in choice for line in option.lines]
            fixed = sum(line.fixed_height for line in lines)
            per_cell = sum(line.rows for line in lines)
            cell = min([_MAX_CELL, (budget - fixed) / per_cell] + [option.cell for option in choice])
            # The fewest lines that give comfortable cells; failing that, the largest cells.
            key = (cell >= _GOOD_CELL, -len(lines), cell) if cell >= _GOOD_CELL else (False, cell, -len(lines))
            if best is None or key > best[0]:
                best = (key, cell, lines)
        _, cell, lines = best
        self.lines = len(lines)  # of panels, after wrapping (for the tests)
        height = sum(line.height(cell) for line in lines)
        bottom, top = self.size(below + height + above)
        y = top - above
        for line in lines:
            x = side + (free_w - line.width(cell)) / 2
            middle = y - _TITLE - line.member_rows[0] * cell / 2
            for n, entry in enumerate(line.entries):
                if isinstance(entry, str):
                    self.write(entry, x + _OP_WIDTH / 2, middle, size=15, va="center")
                    x += _OP_WIDTH
                    continue
                width = _column_width(entry, cell)
                member_top = y
                for (grid, (n_rows, n_cols)), row_cells in zip(entry, line.member_rows, strict=False):
                    if grid is not None:
                        grid.box = (x + (width - n_cols * cell) / 2,
                                    member_top - _TITLE - (row_cells + n_rows) * cell / 2, n_cols * cell, n_rows * cell)
                        grid.cell = cell
                    member_top -= (_TITLE + row_cells * cell) if row_cells else 0.0
                x += width
                if n + 1 < len(line.entries) and not isinstance(line.entries[n + 1], str):
                    x += gap
            y -= line.height(cell)
        return bottom, top


# --------------------------------------------------------------------------- layout: lines of panels


def _title_room(grid) -> float:
    """Inches a panel's title needs across (a little more than the text)."""
    return text_width(grid.title) + 0.12 if grid is not None and grid.title else 0.0


def _column_width(column, cell: float) -> float:
    return max(max(shape[1] * cell, _title_room(grid)) for grid, shape in column)


class _Line:
    """One line of panels: ``entries`` are columns (lists of ``(grid, shape)``) and operator strings."""

    def __init__(self, entries, gap: float):
        self.entries = entries
        columns = [e for e in entries if not isinstance(e, str)]
        depth = max(len(c) for c in columns)
        # The rows of cells of each stacked level: the tallest panel at that level (0: a level left
        # empty in every column of this line, which then takes no room).
        self.member_rows = [max((c[m][1][0] for c in columns if m < len(c) and c[m][0] is not None), default=0)
                            for m in range(depth)]
        self.rows = sum(self.member_rows)
        self.fixed_height = sum(1 for r in self.member_rows if r) * _TITLE + _LINE_GAP
        # Across: each column as wide as its widest panel (cols * cell) or title; operators; gaps.
        self.spans = [(max(shape[1] for _, shape in c), max(_title_room(g) for g, _ in c)) for c in columns]
        self.fixed_width = _OP_WIDTH * (len(entries) - len(columns)) + gap * sum(
            1 for a, b in itertools.pairwise(entries) if not isinstance(a, str) and not isinstance(b, str))

    def height(self, cell: float) -> float:
        return self.rows * cell + self.fixed_height

    def width(self, cell: float) -> float:
        return self.fixed_width + sum(max(cols * cell, title) for cols, title in self.spans)

    def fit(self, room: float) -> float:
        """The largest cell size with which this line is at most ``room`` inches wide (0 if none)."""
        fixed = sum(title for _, title in self.spans) + self.fixed_width
        if fixed >= room:
            return 0.0
        slope = 0.0
        # Below cols * cell = title a column is as wide as its title; above, it grows with the cell.
        for cols, title in sorted(self.spans, key=lambda span: span[1] / span[0]):
            if slope * (title / cols) + fixed >= room:
                break
            slope, fixed = slope + cols, fixed - title
        return (room - fixed) / slope


class _Option:
    """A row broken into ``lines``, and the largest cell size its width allows."""

    def __init__(self, lines: list[_Line], room: float):
        self.lines = lines
        self.cell = min(line.fit(room) for line in lines)


def _line_options(row, room: float, gap: float) -> dict[int, _Option]:
    """The best way to break ``row`` into 1, 2 or 3 lines (the widest cells), by number of lines.

    A break goes before a column, and before the operator in front of it.
    """
    entries = [[e] if isinstance(e, tuple) else e for e in row]  # a lone panel is a column of one
    breaks = [n - 1 if isinstance(entries[n - 1], str) else n
              for n in range(1, len(entries)) if not isinstance(entries[n], str)]
    options: dict[int, _Option] = {}
    for count in range(1, min(3, len(breaks) + 1) + 1):
        for cuts in itertools.combinations(breaks, count - 1):
            bounds = [0, *cuts, len(entries)]
            option = _Option([_Line(entries[a:b], gap) for a, b in itertools.pairwise(bounds)], room)
            if count not in options or option.cell > options[count].cell:
                options[count] = option
    return options


def _board(fig: Figure | None, kind: str) -> _Board:
    """The board of ``fig`` if the same draw function drew it, else a fresh one."""
    if fig is None:
        fig = Figure(dpi=_DPI)
    board = getattr(fig, "_convlib_board", None)
    if board is None or board.kind != kind:
        fig.clear()
        fig.set_facecolor("white")
        board = fig._convlib_board = _Board(fig, kind)
    return board


def screen_width() -> int:
    """CSS pixels across an explorer's picture: every picture is :data:`_FIGURE_WIDTH` inches wide."""
    return round(_FIGURE_WIDTH * SCREEN_DPI)


def to_png(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes, quickly: rows unfiltered, light compression.

    ``dpi`` renders at that many pixels per inch (the explorers ask for twice
    :data:`SCREEN_DPI`, for sharp pictures on displays of device scale factor 2);
    ``None`` keeps the figure's own. Several times faster to encode than
    ``fig.savefig(format="png")``: for these flat-coloured pictures PNG's
    per-row filters gain little and cost most of the time. The figure is opaque
    (white), so the picture is too.
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # attaches itself to the figure
    if dpi is not None:
        fig.set_dpi(dpi)
    fig.canvas.draw()
    return _encode_png(np.asarray(fig.canvas.buffer_rgba()))  # (height, width, 4)


def _encode_png(rgba: np.ndarray) -> bytes:
    """PNG bytes of an (height, width, 4) uint8 image: filter type 0 (none) on every row, zlib level 1.

    Alpha is kept (it is opaque everywhere): copying the rows whole is faster than dropping
    it, and deflate makes almost nothing of a constant byte.
    """
    height, width, _ = rgba.shape
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)  # each row: its filter byte, then RGBA
    rows[:, 0] = 0
    rows[:, 1:] = rgba.reshape(height, 4 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits per channel, RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


# --------------------------------------------------------------------------- painting one grid


def _rgba(color) -> np.ndarray:
    return np.array(to_rgba(color))


def _labels(values: np.ndarray) -> np.ndarray:
    return np.array([_fmt(v) for v in values.ravel()], dtype=object).reshape(values.shape)


def _as_2d(array: np.ndarray) -> np.ndarray:
    """A 1D row as a one-row grid; a 2D map as itself."""
    return array[None, :] if array.ndim == 1 else array


def _show_input(grid: _Grid, values, padding: int, positions=None, title: str = "", dim: bool = False,
                all_padding: bool = False) -> None:
    """An input map with ``padding`` zeros around it and the window at ``positions`` (per axis).

    ``positions`` come from :func:`convlib.conv_element` (outside the map: padding). A 1D
    input is padded along its length only. ``all_padding`` draws a padded depth slice.
    """
    one_d = values.ndim == 1
    values = _as_2d(values)
    if one_d and positions is not None:
        positions = ((0,), positions[0])
    h, w = values.shape
    pr, pc = (0, padding) if one_d else (padding, padding)
    colors = np.empty((h + 2 * pr, w + 2 * pc, 4))
    colors[:] = _rgba(PADDING)
    labels = np.full(colors.shape[:2], "0", dtype=object)
    tones = np.full(colors.shape[:2], "faint", dtype=object)
    inside = np.zeros(colors.shape[:2], dtype=bool)
    if not all_padding:
        inside[pr:pr + h, pc:pc + w] = True
        colors[inside] = _rgba(DIM if dim else INPUT)
        labels[inside] = _labels(values).ravel()
        tones[inside] = "faint" if dim else "dark"
    outlines = []
    if positions is not None:
        cells = np.ix_(np.asarray(positions[0]) + pr, np.asarray(positions[1]) + pc)
        colors[cells] = np.where(inside[cells][..., None], _rgba(WINDOW), _rgba(WINDOW_PADDING))
        tones[cells] = np.where(inside[cells], "dark", "faint")
        outlines.append((min(positions[0]), min(positions[1]), max(positions[0]), max(positions[1]),
                         WINDOW_EDGE))
    grid.show(colors, labels, tones, (-pr, -pc), outlines=outlines, title=title)


def _paint_plain(values: np.ndarray, color: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = _as_2d(values)
    colors = np.empty((*values.shape, 4))
    colors[:] = _rgba(color)
    return colors, _labels(values), np.full(values.shape, "dark", dtype=object)


def _show_plain(grid: _Grid, values, color: str, title: str = "", hatch_zeros: bool = False) -> None:
    """A kernel (or any plain map) in one colour; ``hatch_zeros`` marks zeros as inserted."""
    colors, labels, tones = _paint_plain(values, color)
    hatched = []
    if hatch_zeros:
        zeros = _as_2d(values) == 0
        colors[zeros] = _rgba(INSERTED)
        tones[zeros] = "faint"
        hatched = list(zip(*np.nonzero(zeros), strict=True))
    grid.show(colors, labels, tones, hatched=hatched, title=title)


def _paint_output(values: np.ndarray, current=None):
    """An output map's colours, labels, tones and outlines, with element ``current`` highlighted."""
    colors, labels, tones = _paint_plain(values, OUTPUT_CELLS)
    outlines = []
    if current is not None:
        current = (0, *current) if len(current) == 1 else tuple(current)
        colors[current] = _rgba(OUTPUT)
        tones[current] = "light"
        outlines.append((*current, *current, OUTPUT_EDGE))
    return colors, labels, tones, outlines


def _show_output(grid: _Grid, values, current=None, title: str = "") -> None:
    colors, labels, tones, outlines = _paint_output(values, current)
    grid.show(colors, labels, tones, outlines=outlines, title=title)


def _conv_parts(scene: Scene):
    a = scene.arrays
    return a["input"], a["weight"], a["element"], a["padding"]


def _size(shape) -> str:
    return "\u00d7".join(map(str, shape))


def _groups_of(connected: np.ndarray) -> np.ndarray:
    """Group number of each row, numbered in order of first appearance: equal rows, same group."""
    _, first, inverse = np.unique(connected, axis=0, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))  # unique patterns renumbered by where they first occur
    return rank[inverse.ravel()]


# --------------------------------------------------------------------------- draw functions


def draw_conv2d(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw a one-channel 2D convolution: the padded input with the window, the kernel, the output.

    Sections 1 and 2 of the course. ``scene`` comes from :func:`~convlib.scenes.conv_scene`
    with a 2D weight; the first input channel the element reads is drawn.
    ``footer`` writes the sum of products and the formula under the picture;
    pass the figure of a previous call as ``fig`` to redraw it in place.
    """
    x, w, element, p = _conv_parts(scene)
    c_out, *spatial = scene.out_index
    board = _board(fig, "conv2d")
    board.start(scene, footer)
    grids = [board.grid(n) for n in ("input", "kernel", "output")]
    _show_input(grids[0], x[element.channels[0]], p, element.positions,
                f"input {_size(x.shape[1:])}, padding {p}, stride {scene.arrays['stride']}")
    _show_plain(grids[1], w[c_out, 0], KERNEL, f"kernel {_size(w.shape[2:])}")
    _show_output(grids[2], scene.output[c_out], spatial,
                 f"output {_size(scene.output.shape[1:])}: y{_index(spatial)}")
    board.arrange([[(grids[0], (x.shape[1] + 2 * p, x.shape[2] + 2 * p)), "\u2217", (grids[1], w.shape[2:]),
                    "=", (grids[2], scene.output.shape[1:])]])
    return board.finish()


def draw_conv1d(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw a one-channel 1D convolution: the padded input row, the kernel row, the output row.

    Section 2 of the course (1D convolution). ``scene`` comes from
    :func:`~convlib.scenes.conv_scene` with a 1D weight. ``fig`` and ``footer`` as in
    :func:`draw_conv2d`.
    """
    x, w, element, p = _conv_parts(scene)
    c_out, j = scene.out_index
    a = scene.arrays
    board = _board(fig, "conv1d")
    board.start(scene, footer)
    grids = [board.grid(n) for n in ("input", "kernel", "output")]
    _show_input(grids[0], x[element.channels[0]], p, element.positions,
                f"input, length {x.shape[1]}, padding {p}, stride {a['stride']}, dilation {a['dilation']}")
    _show_plain(grids[1], w[c_out, 0], KERNEL, f"kernel, length {w.shape[2]}")
    _show_output(grids[2], scene.output[c_out], (j,), f"output, length {scene.output.shape[1]}: y[{j}]")
    board.arrange([[(grids[0], (1, x.shape[1] + 2 * p))], [(grids[1], (1, w.shape[2]))],
                   [(grids[2], (1, scene.output.shape[1]))]])
    return board.finish()


def draw_multichannel(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw D_in input maps combining, through one filter, into one of D_out output maps.

    Section 2 of the course (multichannel convolution; groups). ``scene``
    comes from :func:`~convlib.scenes.conv_scene` with a 2D weight ``(D_out, D_in / groups, k, k)``.
    Rows: the inputs (greyed where the filter's group does not read them);
    under each input it reads, the filter's kernel slice and its partial sum;
    the outputs. ``fig`` and ``footer`` as in :func:`draw_conv2d`.
    """
    x, w, element, p = _conv_parts(scene)
    c_out, *spatial = scene.out_index
    partials = scene.arrays["partials"]
    board = _board(fig, "multichannel")
    board.start(scene, footer)
    padded = (x.shape[1] + 2 * p, x.shape[2] + 2 * p)
    inputs = [board.grid(f"input{c}") for c in range(x.shape[0])]
    kernels = [board.grid(f"kernel{j}") for j in range(w.shape[1])]
    outputs = [board.grid(f"output{c}") for c in range(w.shape[0])]
    for c, grid in enumerate(inputs):
        read = c in element.channels
        _show_input(grid, x[c], p, element.positions if read else None,
                    f"x[{c}]" if read else f"x[{c}]: other group", dim=not read)
    for j, grid in enumerate(kernels):
        _show_plain(grid, w[c_out, j], KERNEL, f"w[{c_out}, {j}]:  \u03a3 = {_fmt(partials[j])}")
    for c, grid in enumerate(outputs):
        current = spatial if c == c_out else None
        title = f"y[{c}] = \u03a3 of the sums above" if current else f"y[{c}]"
        _show_output(grid, scene.output[c], current, title)
    # Each kernel slice sits under the input channel it multiplies.
    columns = [[(grid, padded), (kernels[element.channels.index(c)] if c in element.channels else None,
                                 w.shape[2:])] for c, grid in enumerate(inputs)]
    board.arrange([columns, [(g, scene.output.shape[1:]) for g in outputs]])
    return board.finish()


def draw_conv3d(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw a one-channel 3D convolution as depth slices: input, kernel and output slices.

    Section 6 of the course. ``scene`` comes from :func:`~convlib.scenes.conv_scene` with a
    3D weight. Each kernel slice sits under the input slice it multiplies;
    padded depth slices are all grey. ``fig`` and ``footer`` as in
    :func:`draw_conv2d`.
    """
    x, w, element, p = _conv_parts(scene)
    c_out, d_out, *spatial = scene.out_index
    board = _board(fig, "conv3d")
    board.start(scene, footer)
    depth, taps = x.shape[1], element.positions[0]
    padded = (x.shape[2] + 2 * p, x.shape[3] + 2 * p)
    slices = range(-p, depth + p)
    inputs = [board.grid(f"input{n}") for n in range(len(slices))]
    kernels = [board.grid(f"kernel{n}") for n in range(w.shape[2])]
    outputs = [board.grid(f"output{n}") for n in range(scene.output.shape[1])]
    c = element.channels[0]
    for grid, d in zip(inputs, slices, strict=True):
        inside = 0 <= d < depth
        _show_input(grid, x[c, d] if inside else x[c, 0], p, element.positions[1:] if d in taps else None,
                    f"x depth {d}" if inside else f"depth {d}: padding", all_padding=not inside)
    for n, grid in enumerate(kernels):
        _show_plain(grid, w[c_out, 0, n], KERNEL, f"w depth {n}")
    for n, grid in enumerate(outputs):
        _show_output(grid, scene.output[c_out, n], spatial if n == d_out else None, f"y depth {n}")
    # Each kernel slice sits under the input slice it multiplies.
    columns = [[(grid, padded), (kernels[taps.index(d)] if d in taps else None, w.shape[3:])]
               for grid, d in zip(inputs, slices, strict=True)]
    board.arrange([columns, [(g, scene.output.shape[2:]) for g in outputs]])
    return board.finish()


def draw_dilated(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw a dilated convolution, and the receptive field growing over a stack of them.

    Section 4 of the course. ``scene`` comes from :func:`~convlib.scenes.dilated_scene`.
    Top: the input with the spread-out window, the kernel, the same kernel
    with its inserted zeros (hatched), the output. Bottom: for each layer of
    the stack, the positions that feed one element of the last layer
    (orange). ``fig`` and ``footer`` as in :func:`draw_conv2d`.
    """
    x, w, element, p = _conv_parts(scene)
    a = scene.arrays
    c_out, *spatial = scene.out_index
    cone, dilated = a["cone"], a["dilated_kernel"][c_out, 0]
    board = _board(fig, "dilated")
    board.start(scene, footer)
    label_w = 1.0  # inches left of the strip, for the layer names
    # The stack keeps its own cell size: it is a strip, often far longer than the grids are wide. Its
    # rows stay tall enough for the layer names beside them, however narrow its cells get.
    stack_cell = min(_MAX_CELL, (_FIGURE_WIDTH - label_w - 0.3) / cone.shape[1], 1.2 / cone.shape[0])
    stack_row = max(stack_cell, _STACK_ROW)
    stack_h = cone.shape[0] * stack_row
    grids = [board.grid(n) for n in ("input", "kernel", "dilated", "output")]
    _show_input(grids[0], x[element.channels[0]], p, element.positions,
                f"input {_size(x.shape[1:])}, padding {p}, dilation {a['dilation']}")
    _show_plain(grids[1], w[c_out, 0], KERNEL, f"kernel {_size(w.shape[2:])}")
    _show_plain(grids[2], dilated, KERNEL, f"dilated {_size(dilated.shape)}", hatch_zeros=True)
    _show_output(grids[3], scene.output[c_out], spatial, f"output {_size(scene.output.shape[1:])}: "
                 f"y{_index(spatial)}")
    bottom, _ = board.arrange([[(grids[0], (x.shape[1] + 2 * p, x.shape[2] + 2 * p)), "\u2217",
                                (grids[1], w.shape[2:]), "\u2192", (grids[2], dilated.shape), "=",
                                (grids[3], scene.output.shape[1:])]], below=stack_h + _TITLE + 0.1)

    stack = board.grid("stack")
    colors = np.empty((*cone.shape, 4))
    colors[:] = _rgba(INPUT)
    colors[cone] = _rgba(WINDOW)
    colors[-1, cone[-1]] = _rgba(OUTPUT)
    fed = np.flatnonzero(cone[0])
    layers = cone.shape[0] - 1
    strip_w = cone.shape[1] * stack_cell
    x0 = label_w + (_FIGURE_WIDTH - label_w - 0.15 - strip_w) / 2
    stack.box, stack.cell, stack.cell_h = (x0, bottom + 0.05, strip_w, stack_h), stack_cell, stack_row
    # Drawn with the input at the bottom, as data flows up through the layers.
    stack.show(colors[::-1], outlines=[(layers, fed[0], layers, fed[-1], WINDOW_EDGE)],
               title=f"inputs feeding one output of layer {layers} (1D): receptive field "
                     f"{_ARROW.join(map(str, a['fields']))}")
    names = ["input"] + [f"layer {n + 1}, d={d}" for n, d in enumerate(a["dilations"])]
    for n, name in enumerate(names):
        board.write(name, x0 - 0.08, bottom + 0.05 + (n + 0.5) * stack_row, size=7.5, ha="right",
                    va="center")
    return board.finish()


def draw_separable(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw a depthwise separable convolution: depthwise per channel, then pointwise; and its cost.

    Section 3 of the course. ``scene`` comes from :func:`~convlib.scenes.separable_scene`.
    Top: each input with its window and, beside it, its depthwise kernel; under
    each input, its depthwise output. Below: the pointwise weights (C_out x C_in)
    and the outputs.
    Bars compare the multiply-adds with an ordinary convolution of the same
    shapes. ``fig`` and ``footer`` as in :func:`draw_conv2d`.
    """
    a = scene.arrays
    x, wd, wp, d, p = a["input"], a["depthwise_weight"], a["pointwise_weight"], a["depthwise"], a["padding"]
    c_out, *spatial = scene.out_index
    c_in = x.shape[0]
    bars_h = 0.5
    board = _board(fig, "separable")
    board.start(scene, footer)
    padded = (x.shape[1] + 2 * p, x.shape[2] + 2 * p)
    inputs = [board.grid(f"input{c}") for c in range(c_in)]
    kernels = [board.grid(f"kernel{c}") for c in range(c_in)]
    middles = [board.grid(f"depthwise{c}") for c in range(c_in)]
    point = board.grid("pointwise")
    outputs = [board.grid(f"output{c}") for c in range(wp.shape[0])]
    for c in range(c_in):
        _show_input(inputs[c], x[c], p, a["depth_elements"][c].positions, f"x[{c}]")
        _show_plain(kernels[c], wd[c, 0], KERNEL, f"kernel {c}")
        _show_output(middles[c], d[c], spatial, f"d[{c}] = x[{c}] \u2217 kernel {c}")
    colors, labels, tones = _paint_plain(wp[:, :, 0, 0], DIM)
    colors[c_out] = _rgba(KERNEL)
    point.show(colors, labels, tones, outlines=[(c_out, 0, c_out, c_in - 1, WINDOW_EDGE)],
               title="pointwise 1\u00d71 weights")
    for c, grid in enumerate(outputs):
        _show_output(grid, scene.output[c], spatial if c == c_out else None, f"y[{c}]")
    # Each channel: its input with, under it, what the depthwise kernel beside it makes of it.
    depthwise = []
    for c in range(c_in):
        depthwise += [[(inputs[c], padded), (middles[c], d.shape[1:])], "\u2217", (kernels[c], wd.shape[2:])]
    _, top = board.arrange([depthwise, [(point, wp.shape[:2]), "\u2192"] + [(g, d.shape[1:]) for g in outputs]],
                           above=bars_h)

    counts = a["counts"]
    if "bars" not in board.axes:
        ax = board.fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_ylim(-0.5, 1.5)
        board.axes["bars"] = (ax, {name: ax.barh(y, 0, height=0.62, color=color)[0] for name, y, color in
                                   [("ordinary", 1, "#0072B2"), ("depthwise", 0, WINDOW),
                                    ("pointwise", 0, "#56B4E9")]})
    ax, bars = board.axes["bars"]
    bar_x, bar_w, bar_y = 1.15, _FIGURE_WIDTH - 4.4, top - bars_h + 0.05
    board.place(ax, bar_x, bar_y, bar_w, bars_h - 0.1)
    ax.set_xlim(0, counts["ordinary"])
    bars["ordinary"].set_width(counts["ordinary"])
    bars["depthwise"].set_width(counts["depthwise"])
    bars["pointwise"].set_x(counts["depthwise"])
    bars["pointwise"].set_width(counts["pointwise"])
    upper, lower = (bar_y + (bars_h - 0.1) * f for f in (0.75, 0.25))
    board.write("ordinary", bar_x - 0.1, upper, size=8, ha="right", va="center")
    board.write("separable", bar_x - 0.1, lower, size=8, ha="right", va="center")
    board.write(f"{counts['ordinary']:,} mult-adds", bar_x + bar_w + 0.1, upper, size=8, ha="left",
                va="center")
    board.write(f"{counts['depthwise']:,} depthwise + {counts['pointwise']:,} pointwise"
                f" = {counts['ratio']:.0%}",
                bar_x + bar_w + 0.1, lower, size=8, ha="left", va="center")
    return board.finish()


def draw_shuffle(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw channels flowing through two grouped layers, without and with a channel shuffle.

    Section 5 of the course. ``scene`` comes from :func:`~convlib.scenes.shuffle_scene`.
    Columns: the inputs x, the first grouped layer h, h' (shuffled, or not),
    the second grouped layer y. Lines are coloured by group; the paths into
    the highlighted output (green) are drawn thick, through orange nodes.
    ``fig`` and ``footer`` as in :func:`draw_conv2d`.
    """
    a = scene.arrays
    first, out = a["first"], scene.out_index[0]
    channels = first.shape[0]
    board = _board(fig, "shuffle")
    board.start(scene, footer)
    bottom, top = board.size(3.5)
    if "network" not in board.axes:
        canvas = board.canvas
        board.axes["network"] = (canvas.add_collection(LineCollection([], linewidths=1.0, alpha=0.6,
                                                                      zorder=1)),
                                 canvas.add_collection(LineCollection([], linewidths=2.4, colors="#333333",
                                                                      zorder=1)),
                                 canvas.scatter([], [], s=70, zorder=2, linewidths=1.0))
    faint, strong, nodes = board.axes["network"]
    # The group of each channel, read off the connectivity: rows alike, group alike.
    group_in, group_out = _groups_of(first), _groups_of(first.T)
    column_w, row_h = (_FIGURE_WIDTH / 2 - 1.15) / 3, min(0.3, (top - bottom - 0.75) / max(channels - 1, 1))
    faint_segments, faint_colors, hot, xy, face, edge = [], [], [], [], [], []
    layers_between = [("plain", np.eye(channels, dtype=bool)), ("shuffled", a["shuffle"])]  # h -> h'
    for n, (name, between) in enumerate(layers_between):
        x0 = 0.45 + n * _FIGURE_WIDTH / 2
        # Channel 0's height: the network, its column heads and title (0.6 in) centred vertically.
        y0 = top - 0.6 - (top - bottom - 0.75 - row_h * (channels - 1)) / 2

        def at(col, row, x0=x0, y0=y0):  # inches of channel ``row`` in column ``col``
            return x0 + col * column_w, y0 - row * row_h

        seen = scene.highlighted["seen" if name == "shuffled" else "seen_plain"]
        board.write(f"{'with' if name == 'shuffled' else 'without'} shuffle: y[{out}] sees {len(seen)} of "
                    f"{channels} inputs", x0 + 1.5 * column_w, y0 + 0.42, size=9.5)
        heads = ["x", "h = layer 1", "h' = shuffled h" if name == "shuffled" else "h' = h", "y = layer 2"]
        for col, head in enumerate(heads):
            board.write(head, at(col, 0)[0], y0 + 0.17, size=8)
        for c in range(channels):
            board.write(str(c), *at(-0.12, c), size=7, ha="right", va="center")
        # Backwards from y[out]: which nodes of each column lie on a path into it.
        on_h2 = first[:, out]  # layer 2 is the same grouped layer as layer 1
        on_h = between[:, on_h2].any(axis=1)
        columns = [first[:, on_h].any(axis=1), on_h, on_h2, np.arange(channels) == out]
        for col, link in enumerate([first, between, first]):
            for i, j in zip(*np.nonzero(link), strict=True):
                segment = (at(col, i), at(col + 1, j))
                if columns[col][i] and columns[col + 1][j]:
                    hot.append(segment)
                else:
                    faint_segments.append(segment)
                    # An edge takes the colour of the group that made its channel: h's group up to h',
                    # then the layer-2 group it feeds.
                    faint_colors.append(GROUP_COLORS[group_out[i if col == 1 else j] % len(GROUP_COLORS)])
        node_groups = [group_in, group_out, group_in, group_out]  # h' by the layer-2 group it enters
        colours = np.array([_rgba(GROUP_COLORS[g % len(GROUP_COLORS)]) for gs in node_groups for g in gs])
        colours[:, 3] = 0.3
        lit = np.concatenate(columns)
        colours[lit] = _rgba(WINDOW)
        colours[3 * channels + out] = _rgba(OUTPUT)
        xy += [at(col, c) for col in range(4) for c in range(channels)]
        face.append(colours)
        edge.append(np.where(lit[:, None], _rgba("#333333"), _rgba("#AAAAAA")))
    faint.set_segments(faint_segments)
    faint.set_color(faint_colors or ["none"])
    strong.set_segments(hot)
    nodes.set_offsets(xy)
    nodes.set_facecolor(np.concatenate(face))
    nodes.set_edgecolor(np.concatenate(edge))
    return board.finish()


def draw_transposed(scene: Scene, fig: Figure | None = None, footer: bool = True) -> Figure:
    """Draw a transposed convolution both ways: zero insertion (top row) and scatter (bottom row).

    Section 7 of the course. ``scene`` comes from :func:`~convlib.scenes.transposed_scene`.
    Top: the zero-inserted (hatched) and padded (grey) input with the flipped
    kernel's window, the flipped kernel, the output of this ordinary
    stride-1 convolution. Bottom: the input elements that scatter into the
    highlighted output element, the kernel, and the output with each of
    their ``k x k`` footprints outlined. The two outputs are the same.
    ``fig`` and ``footer`` as in :func:`draw_conv2d`.
    """
    a = scene.arrays
    x, w, padded, element, landed = a["input"], a["weight"], a["padded"], a["element"], a["landed"]
    spatial = scene.out_index[1:]
    z = a["insertion"][0]
    board = _board(fig, "transposed")
    board.start(scene, footer)
    top_row = [board.grid(n) for n in ("padded", "flipped", "gathered")]
    low_row = [board.grid(n) for n in ("input", "kernel", "scattered")]
    out_shape = scene.output.shape[1:]

    colors = np.empty((*landed.shape, 4))
    colors[:] = _rgba(PADDING)
    colors[landed > 0] = _rgba(INPUT)
    tones = np.where(landed > 0, "dark", "faint").astype(object)
    inserted = scene.highlighted["inserted"]
    for cell in inserted:
        colors[cell] = _rgba(INSERTED)
    rows, cols = element.positions
    cells = np.ix_(rows, cols)
    colors[cells] = np.where((landed[cells] > 0)[..., None], _rgba(WINDOW), _rgba(WINDOW_PADDING))
    tones[cells] = np.where(landed[cells] > 0, "dark", "faint")
    top_row[0].show(colors, _labels(padded[0]), tones, hatched=inserted,
                    outlines=[(rows[0], cols[0], rows[-1], cols[-1], WINDOW_EDGE)],
                    title=f"zero insertion: z={z.z} inserted, p'={z.p_before} padded (after: {z.p_after})")
    _show_plain(top_row[1], a["flipped"][0, 0], KERNEL, "kernel, flipped")
    _show_output(top_row[2], a["gathered"][0], spatial, f"convolution, stride s'={z.s_prime}")

    colors, labels, tones = _paint_plain(x[0], INPUT)
    for r, c, *_ in a["terms"]:
        colors[r, c] = _rgba(WINDOW)
    low_row[0].show(colors, labels, tones, title=f"scatter: input {_size(x.shape[1:])}")
    _show_plain(low_row[1], w[0, 0], KERNEL, f"kernel, stride {a['stride']}")
    colors, labels, tones, outlines = _paint_output(a["scattered"][0], spatial)
    for n, (*_, rows_written, cols_written) in enumerate(a["terms"]):
        # Each contributor's footprint: the output cells it writes, as kernel_positions gave them,
        # each drawn a little further in so that overlapping footprints stay apart.
        outlines.append((max(min(rows_written), 0), max(min(cols_written), 0),
                         min(max(rows_written), out_shape[0] - 1), min(max(cols_written), out_shape[1] - 1),
                         WINDOW, 0.06 + 0.07 * (n % 4)))
    low_row[2].show(colors, labels, tones, outlines=outlines,
                    title="each x adds x\u00b7kernel at its footprint")
    board.arrange([[(top_row[0], padded.shape[1:]), "\u2217", (top_row[1], w.shape[2:]), "=",
                    (top_row[2], out_shape)],
                   [(low_row[0], x.shape[1:]), "\u00b7", (low_row[1], w.shape[2:]), "\u2192",
                    (low_row[2], out_shape)]])
    return board.finish()
