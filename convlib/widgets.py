"""Interactive explorers, one per convolution type: move a convolution to understand it.

Each ``*_explorer()`` function returns a displayable ipywidgets box: sliders
for the parameters that matter for that type, a position control (a slider
and a play button, linked) that walks the highlighted output element over
the whole output, the picture, the element's sum of products and the
output-size formula with the current numbers in it, the equivalent one-line
``convlib`` and ``torch`` calls, and a message area.

=========================  ==================================================
``conv2d_explorer``        1 the convolution operation, 2 2D convolution
``multichannel_explorer``  2 D_in maps combining into one of D_out (groups)
``conv1d_explorer``        2 1D convolution
``separable_explorer``     3 depthwise separable convolution, operation counts
``dilated_explorer``       4 dilated convolution, receptive field of a stack
``shuffle_explorer``       5 grouped layers with and without a channel shuffle
``conv3d_explorer``        6 3D convolution, depth slices
``transposed_explorer``    7 transposed convolution: zero insertion and scatter
=========================  ==================================================

Design
------
An explorer is an :class:`Explorer` object; the returned box carries it as
``box.explorer``, so that tests and notebooks can drive it without a browser::

    box = conv2d_explorer(kernel_size=5)
    ex = box.explorer
    ex.controls["padding"].value = 0        # any control, as a learner would
    ex.state.output_size, ex.state.message  # what is shown now

Every change recomputes a :class:`convlib.scenes.Scene` (convlib's own
computation) and redraws the same figure in place with the matching pure
draw function of :mod:`convlib.drawing`. An invalid combination never
raises: convlib's ``ValueError`` message is shown (e.g. ``conv2d: kernel 5
is larger than padded input 4 along H (input 4, padding 0+0)``) and the last
valid picture stays, with ``state`` still describing it; the position control
and play are disabled (and a running play stopped) until the combination is
valid again, since walking would move nothing on screen.

On screen the picture is drawn at :data:`PIXEL_RATIO` times the size it is shown
at (720 CSS px wide, never stretched, narrower in a narrower output), so it is
sharp on displays of device scale factor 2; every part carries a CSS class
(``convlib-explorer``, ``convlib-control-<name>``, ``convlib-picture``, ...).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, ClassVar

import ipywidgets as widgets
import numpy as np

from . import drawing, scenes
from .scenes import example_array

__all__ = [
    "EXPLORERS",
    "Conv1dExplorer",
    "Conv2dExplorer",
    "Conv3dExplorer",
    "DilatedExplorer",
    "Explorer",
    "ExplorerState",
    "MultichannelExplorer",
    "SeparableExplorer",
    "ShuffleExplorer",
    "TransposedExplorer",
    "conv1d_explorer",
    "conv2d_explorer",
    "conv3d_explorer",
    "dilated_explorer",
    "multichannel_explorer",
    "separable_explorer",
    "shuffle_explorer",
    "transposed_explorer",
]

PIXEL_RATIO = 2  # the pictures are drawn at this many pixels per CSS pixel: sharp on 2x displays
TEXT_SIZE = "13px"  # the sum, the formula, the calls and their shapes, the messages
SLIDER_WIDTH, SLIDER_LABEL = "250px", "100px"  # three sliders to a row in a 780 px output


@dataclass
class ExplorerState:
    """What an explorer shows: the last valid scene, and the message for the current parameters.

    Attributes
    ----------
    params : dict
        The parameters of the picture on screen (the last valid combination).
    scene : convlib.scenes.Scene or None
        Its scene; ``None`` only if no combination has been valid yet.
    message : str
        convlib's error message if the current combination is invalid, else ``""``.
    """

    params: dict[str, int] = field(default_factory=dict)
    scene: scenes.Scene | None = None
    message: str = ""

    @property
    def output_size(self) -> tuple[int, ...] | None:
        """Spatial size of the output on screen."""
        return None if self.scene is None else self.scene.output_size

    @property
    def out_index(self) -> tuple[int, ...] | None:
        """The highlighted output element, ``(c_out, *position)``."""
        return None if self.scene is None else self.scene.out_index

    @property
    def highlighted(self) -> dict[str, tuple]:
        """The highlighted cells by name (``"window"``, ``"output"``, ...).

        See :class:`convlib.scenes.Scene`.
        """
        return {} if self.scene is None else self.scene.highlighted

    @property
    def sum_text(self) -> str:
        return "" if self.scene is None else self.scene.sum_text

    @property
    def value(self) -> float | None:
        return None if self.scene is None else self.scene.value


class Explorer:
    """One explorer: controls, picture and text, kept in step with convlib.

    A subclass names its course ``section``, lists its ``sliders`` and says
    how parameters become arrays (:meth:`inputs`), a scene (:meth:`scene`)
    and a picture (``draw``, a function of :mod:`convlib.drawing`).

    Parameters
    ----------
    **values : int
        Starting values of the sliders, by name; the others take their defaults.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        The sliders by parameter name, plus ``"position"`` (IntSlider) and
        ``"play"`` (Play, linked to it).
    state : ExplorerState
        What is shown now.
    figure : matplotlib.figure.Figure or None
        The figure, redrawn in place.
    widget : ipywidgets.VBox
        The displayable box, with this explorer as ``widget.explorer``.
    """

    title: ClassVar[str] = ""
    section: ClassVar[str] = ""
    sliders: ClassVar[dict[str, tuple[int, int, int, str]]] = {}  # name: (min, max, default, label)
    draw: ClassVar[Any] = None  # the convlib.drawing function, as a staticmethod
    position_label: ClassVar[str] = "output element"

    def __init__(self, **values: int):
        self._check(values)
        self.controls: dict[str, widgets.Widget] = {}
        for name, (low, high, default, label) in self.sliders.items():
            self.controls[name] = widgets.IntSlider(
                value=values.get(name, default), min=low, max=high, description=label,
                continuous_update=False,
                style={"description_width": SLIDER_LABEL}, layout=widgets.Layout(width=SLIDER_WIDTH))
        position = widgets.IntSlider(value=0, min=0, max=0, description=self.position_label,
                                     style={"description_width": "120px"}, layout=widgets.Layout(width="400px"))
        play = widgets.Play(value=0, min=0, max=0, interval=700, description="walk the output")
        # Linked in Python, not in the browser (jslink), so that driving either one headless works too.
        widgets.link((play, "value"), (position, "value"))
        widgets.link((position, "max"), (play, "max"))
        self.controls.update(position=position, play=play)
        for name, control in self.controls.items():  # a handle for styles and for the browser tests
            control.add_class(f"convlib-control-{name}")
        # Drawn at PIXEL_RATIO times the size it is shown at, and shown at that size whatever the
        # output's width (never stretched; narrower when the output is narrower): sharp at
        # device scale factor 2.
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width=f"{drawing.screen_width()}px", max_width="100%", height="auto", object_fit="contain"))
        self.text = widgets.HTML()
        self.calls = widgets.HTML()
        self.message = widgets.HTML()
        for part, name in [(self.image, "picture"), (self.text, "text"), (self.calls, "calls"),
                           (self.message, "message")]:
            part.add_class(f"convlib-{name}")
        self.figure = None
        self.state = ExplorerState()
        self._syncing = False  # set while the explorer moves its own controls: no redraw per control
        for name in [*self.sliders, "position"]:
            self.controls[name].observe(self._changed, names="value")
        header = widgets.HTML(f"<b>{html.escape(self.title)}</b> &nbsp;<i>course section "
                              f"{html.escape(self.section)}</i>")
        sliders = widgets.Box([self.controls[name] for name in self.sliders],
                              layout=widgets.Layout(flex_flow="row wrap"))
        walk = widgets.HBox([play, position], layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([header, sliders, walk, self.message, self.image, self.text, self.calls])
        self.widget.add_class("convlib-explorer")
        self.widget.explorer = self
        self.redraw()

    def _check(self, values: dict[str, int]) -> None:
        """Refuse names that are no slider, and values outside a slider's range (which it would clamp)."""
        fn = type(self).__name__
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise ValueError(f"{fn}: unknown parameter(s) {unknown}; the sliders are {sorted(self.sliders)}")
        for name, value in values.items():
            low, high = self.sliders[name][:2]
            if not low <= value <= high:
                raise ValueError(f"{fn}: {name} must be between {low} and {high}, got {value}")

    def set(self, **values: int) -> None:
        """Move several sliders at once, then redraw once.

        Examples
        --------
        >>> ex = conv2d_explorer().explorer
        >>> ex.set(input_size=4, padding=0, kernel_size=5)
        >>> ex.state.message
        'conv2d: kernel 5 is larger than padded input 4 along H (input 4, padding 0+0)'
        """
        self._check(values)
        self._syncing = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._syncing = False
        self.redraw()

    def inputs(self, params: dict[str, int]) -> dict[str, np.ndarray]:
        """The arrays of the scene, named as in the one-line calls (``x``, ``w``, ...)."""
        raise NotImplementedError

    def scene(self, arrays: dict[str, np.ndarray], params: dict[str, int], position: int) -> scenes.Scene:
        """The scene of ``arrays`` (from :meth:`inputs`) and ``params``, element ``position`` highlighted."""
        raise NotImplementedError

    @property
    def params(self) -> dict[str, int]:
        """The sliders' current values (valid or not)."""
        return {name: self.controls[name].value for name in self.sliders}

    def _changed(self, change) -> None:
        if not self._syncing:
            self.redraw()

    def redraw(self) -> None:
        """Recompute the scene and redraw; on convlib's ValueError, say why and keep the last picture."""
        params = self.params
        try:
            arrays = self.inputs(params)
            scene = self.scene(arrays, params, self.controls["position"].value)
        except ValueError as error:
            self.state.message = str(error)
            self.message.value = (f"<div style='color:#a40000; font-size:{TEXT_SIZE}'>&#9888; "
                                  f"{html.escape(str(error))}<br>The picture shows the last valid combination; "
                                  f"the output element and play wait for a valid one.</div>")
            self._walkable(False)
            return
        self.figure = self.draw(scene, self.figure, footer=False)
        self.image.value = drawing.to_png(self.figure, dpi=PIXEL_RATIO * drawing.SCREEN_DPI)
        self.state = ExplorerState(params=params, scene=scene)
        self._sync_position(scene)
        self._walkable(True)
        self.message.value = ""
        # wrapped at spaces only: in JupyterLab at 1024 px the sums broke inside numbers ("11" over two lines)
        self.text.value = (f"<pre style='font-size:{TEXT_SIZE}; line-height:1.35; white-space:pre-wrap; "
                           f"word-break:normal; overflow-wrap:normal; line-break:auto; margin:2px'>"
                           f"{html.escape(scene.sum_text)}\n{html.escape(scene.formula)}</pre>")
        shapes = ", ".join(f"{name}: {array.shape}" for name, array in arrays.items())
        self.calls.value = (f"<div style='font-size:{TEXT_SIZE}; line-height:1.5'>"
                            f"<code>{html.escape(scene.call)}</code> &nbsp;or&nbsp; "
                            f"<code>{html.escape(scene.torch_call)}</code><br>"
                            f"<span class='convlib-shapes'>shapes: {html.escape(shapes)}</span></div>")

    def _walkable(self, valid: bool) -> None:
        """Let the output element be walked only while the picture is of the current parameters.

        In an invalid state the picture is the last valid one: moving the position or playing
        would change nothing on screen, so both are disabled (and a running play stopped).
        """
        position, play = self.controls["position"], self.controls["play"]
        if not valid:
            play.playing = False
        position.disabled = play.disabled = not valid

    def _sync_position(self, scene: scenes.Scene) -> None:
        """Let the position control span this output and show the element drawn."""
        position, play = self.controls["position"], self.controls["play"]
        self._syncing = True
        try:
            position.max = self.position_count(scene) - 1
            position.value = scene.position
            play.value = scene.position
        finally:
            self._syncing = False

    def position_count(self, scene: scenes.Scene) -> int:
        """How many elements the position control walks."""
        return scene.output.size


def _weights(shape, seed: int = 1) -> np.ndarray:
    """Kernel values -1, 0 or 1: products stay small enough to read."""
    return example_array(shape, low=-1, high=1, seed=seed)


class Conv2dExplorer(Explorer):
    """The 2D convolution of one channel: the window sliding over the padded input.

    Sections 1 (the convolution operation) and 2 (2D convolution) of the course.
    """

    title = "2D convolution"
    section = "1 (the convolution operation) and 2 (2D convolution)"
    sliders = {"input_size": (3, 8, 5, "input size i"), "kernel_size": (1, 5, 3, "kernel size k"),
               "stride": (1, 3, 1, "stride s"), "padding": (0, 3, 1, "padding p")}
    draw = staticmethod(drawing.draw_conv2d)

    def inputs(self, params):
        i, k = params["input_size"], params["kernel_size"]
        return {"x": example_array((1, i, i)), "w": _weights((1, 1, k, k))}

    def scene(self, a, params, position):
        return scenes.conv_scene(a["x"], a["w"], stride=params["stride"], padding=params["padding"],
                                 position=position)


class MultichannelExplorer(Explorer):
    """D_in input maps combining, through each filter, into one of D_out output maps; and groups.

    Section 2 of the course (multichannel convolution): the kernel is
    ``D_out x D_in x k x k``; with ``groups`` a filter reads its group's channels only.
    """

    title = "Multichannel convolution"
    section = "2 (2D convolution: D_in and D_out maps)"
    sliders = {"in_channels": (1, 4, 3, "D_in"), "out_channels": (1, 4, 2, "D_out"),
               "groups": (1, 4, 1, "groups"),
               "input_size": (3, 6, 4, "input size i"), "kernel_size": (1, 3, 3, "kernel size k"),
               "stride": (1, 2, 1, "stride s"), "padding": (0, 2, 1, "padding p")}
    draw = staticmethod(drawing.draw_multichannel)

    def inputs(self, params):
        i, k, g = params["input_size"], params["kernel_size"], params["groups"]
        # An invalid groups makes a weight of the wrong shape on purpose: conv2d then says what is wrong.
        per_group = max(params["in_channels"] // g, 1)
        return {"x": example_array((params["in_channels"], i, i)),
                "w": _weights((params["out_channels"], per_group, k, k))}

    def scene(self, a, params, position):
        return scenes.conv_scene(a["x"], a["w"], stride=params["stride"], padding=params["padding"],
                                 groups=params["groups"], position=position)


class Conv1dExplorer(Explorer):
    """The 1D convolution: the same operation along one axis.

    Section 2 of the course (1D convolution).
    """

    title = "1D convolution"
    section = "2 (1D convolution)"
    sliders = {"input_size": (3, 16, 8, "input length i"), "kernel_size": (1, 5, 3, "kernel size k"),
               "stride": (1, 3, 1, "stride s"), "padding": (0, 3, 1, "padding p"),
               "dilation": (1, 3, 1, "dilation d")}
    draw = staticmethod(drawing.draw_conv1d)

    def inputs(self, params):
        return {"x": example_array((1, params["input_size"])), "w": _weights((1, 1, params["kernel_size"]))}

    def scene(self, a, params, position):
        return scenes.conv_scene(a["x"], a["w"], stride=params["stride"], padding=params["padding"],
                                 dilation=params["dilation"], position=position)


class SeparableExplorer(Explorer):
    """Depthwise then pointwise convolution, and a live bar of the operation counts.

    Section 3 of the course (depthwise separable convolution): the counts of
    an ordinary convolution and of the separable one, whose ratio is
    ``1/C_O + 1/K^2``, come from :mod:`convlib.counting`.
    """

    title = "Depthwise separable convolution"
    section = "3 (depthwise separable convolution)"
    sliders = {"in_channels": (1, 3, 3, "C_I"), "out_channels": (1, 6, 4, "C_O"),
               "input_size": (3, 6, 5, "input size i"), "kernel_size": (1, 3, 3, "kernel size K"),
               "padding": (0, 1, 0, "padding p")}
    draw = staticmethod(drawing.draw_separable)

    def inputs(self, params):
        c_in, k = params["in_channels"], params["kernel_size"]
        return {"x": example_array((c_in, params["input_size"], params["input_size"])),
                "wd": _weights((c_in, 1, k, k)), "wp": _weights((params["out_channels"], c_in, 1, 1), seed=2)}

    def scene(self, a, params, position):
        return scenes.separable_scene(a["x"], a["wd"], a["wp"], padding=params["padding"], position=position)


class DilatedExplorer(Explorer):
    """The dilated kernel's spread-out window, and the receptive field growing over a stack.

    Section 4 of the course (dilated convolution): the stack's layer ``l``
    has dilation ``d ** l``, so its receptive field grows exponentially with
    the same number of taps.
    """

    title = "Dilated convolution"
    section = "4 (dilated convolution)"
    sliders = {"input_size": (3, 11, 7, "input size i"), "kernel_size": (1, 4, 3, "kernel size k"),
               "dilation": (1, 3, 2, "dilation d"), "padding": (0, 4, 0, "padding p"),
               "layers": (1, 4, 3, "stacked layers")}
    draw = staticmethod(drawing.draw_dilated)

    def inputs(self, params):
        i, k = params["input_size"], params["kernel_size"]
        return {"x": example_array((1, i, i)), "w": _weights((1, 1, k, k))}

    def scene(self, a, params, position):
        return scenes.dilated_scene(a["x"], a["w"], padding=params["padding"], dilation=params["dilation"],
                                    layers=params["layers"], position=position)


class ShuffleExplorer(Explorer):
    """Channels through two grouped 1x1 layers, without and with a channel shuffle.

    Section 5 of the course (shuffle convolution, ShuffleNet): which outputs
    can see which inputs. The position control walks the output channels.
    """

    title = "Grouped convolution and channel shuffle"
    section = "5 (shuffle convolution)"
    sliders = {"channels": (1, 12, 6, "channels C"), "groups": (1, 6, 3, "groups g")}
    draw = staticmethod(drawing.draw_shuffle)
    position_label = "output channel"

    def inputs(self, params):
        c, g = params["channels"], params["groups"]
        per_group = max(c // g, 1)
        return {"x": example_array((1, c, 4, 4)), "w1": _weights((c, per_group, 1, 1)),
                "w2": _weights((c, per_group, 1, 1), seed=2)}

    def scene(self, a, params, position):  # connectivity needs no arrays; ``a`` only shows the calls' shapes
        return scenes.shuffle_scene(params["channels"], params["groups"], position=position)

    def position_count(self, scene):
        return scene.output.shape[1]


class Conv3dExplorer(Explorer):
    """The 3D convolution: the kernel also slides through the depth slices.

    Section 6 of the course (3D convolution).
    """

    title = "3D convolution"
    section = "6 (3D convolution)"
    sliders = {"depth": (2, 5, 4, "input depth"), "input_size": (3, 5, 4, "height = width"),
               "kernel_size": (1, 3, 2, "kernel size k"), "stride": (1, 2, 1, "stride s"),
               "padding": (0, 1, 0, "padding p")}
    draw = staticmethod(drawing.draw_conv3d)

    def inputs(self, params):
        i, k = params["input_size"], params["kernel_size"]
        return {"x": example_array((1, params["depth"], i, i)), "w": _weights((1, 1, k, k, k))}

    def scene(self, a, params, position):
        return scenes.conv_scene(a["x"], a["w"], stride=params["stride"], padding=params["padding"],
                                 position=position)


class TransposedExplorer(Explorer):
    """The transposed convolution as zero insertion + padding + convolution, and as a scatter.

    Section 7 of the course (transposed convolution): ``z = s - 1``,
    ``p' = k - 1 - p``, ``s' = 1``, ``a`` = output_padding; both views give
    the same output.
    """

    title = "Transposed convolution"
    section = "7 (transposed convolution)"
    sliders = {"input_size": (2, 4, 3, "input size i"), "kernel_size": (1, 4, 3, "kernel size k"),
               "stride": (1, 3, 2, "stride s"), "padding": (0, 3, 1, "padding p"),
               "output_padding": (0, 2, 1, "output_padding a")}
    draw = staticmethod(drawing.draw_transposed)

    def inputs(self, params):
        i, k = params["input_size"], params["kernel_size"]
        return {"x": example_array((1, i, i)), "w": _weights((1, 1, k, k))}

    def scene(self, a, params, position):
        return scenes.transposed_scene(a["x"], a["w"], stride=params["stride"], padding=params["padding"],
                                       output_padding=params["output_padding"], position=position)


def conv2d_explorer(**values: int) -> widgets.VBox:
    """Explorer of the 2D convolution (sections 1 and 2); see :class:`Conv2dExplorer`.

    ``values`` start the sliders: ``input_size``, ``kernel_size``, ``stride``, ``padding``.
    The returned box carries the explorer as ``.explorer``.
    """
    return Conv2dExplorer(**values).widget


def multichannel_explorer(**values: int) -> widgets.VBox:
    """Explorer of multichannel convolution and groups (section 2); see :class:`MultichannelExplorer`.

    ``values``: ``in_channels``, ``out_channels``, ``groups``, ``input_size``, ``kernel_size``,
    ``stride``, ``padding``. The returned box carries the explorer as ``.explorer``.
    """
    return MultichannelExplorer(**values).widget


def conv1d_explorer(**values: int) -> widgets.VBox:
    """Explorer of the 1D convolution (section 2); see :class:`Conv1dExplorer`.

    ``values``: ``input_size``, ``kernel_size``, ``stride``, ``padding``, ``dilation``.
    The returned box carries the explorer as ``.explorer``.
    """
    return Conv1dExplorer(**values).widget


def separable_explorer(**values: int) -> widgets.VBox:
    """Explorer of depthwise separable convolution (section 3); see :class:`SeparableExplorer`.

    ``values``: ``in_channels``, ``out_channels``, ``input_size``, ``kernel_size``, ``padding``.
    The returned box carries the explorer as ``.explorer``.
    """
    return SeparableExplorer(**values).widget


def dilated_explorer(**values: int) -> widgets.VBox:
    """Explorer of dilated convolution and receptive fields (section 4); see :class:`DilatedExplorer`.

    ``values``: ``input_size``, ``kernel_size``, ``dilation``, ``padding``, ``layers``.
    The returned box carries the explorer as ``.explorer``.
    """
    return DilatedExplorer(**values).widget


def shuffle_explorer(**values: int) -> widgets.VBox:
    """Explorer of grouped layers with and without channel shuffle (section 5); see :class:`ShuffleExplorer`.

    ``values``: ``channels``, ``groups``. The returned box carries the explorer as ``.explorer``.
    """
    return ShuffleExplorer(**values).widget


def conv3d_explorer(**values: int) -> widgets.VBox:
    """Explorer of the 3D convolution (section 6); see :class:`Conv3dExplorer`.

    ``values``: ``depth``, ``input_size``, ``kernel_size``, ``stride``, ``padding``.
    The returned box carries the explorer as ``.explorer``.
    """
    return Conv3dExplorer(**values).widget


def transposed_explorer(**values: int) -> widgets.VBox:
    """Explorer of the transposed convolution (section 7); see :class:`TransposedExplorer`.

    ``values``: ``input_size``, ``kernel_size``, ``stride``, ``padding``, ``output_padding``.
    The returned box carries the explorer as ``.explorer``.
    """
    return TransposedExplorer(**values).widget


# Every explorer by name, in the course's order: the tests, the benchmark and scripts/make_figures.py use it.
EXPLORERS: dict[str, type[Explorer]] = {
    "conv2d": Conv2dExplorer,
    "multichannel": MultichannelExplorer,
    "conv1d": Conv1dExplorer,
    "separable": SeparableExplorer,
    "dilated": DilatedExplorer,
    "shuffle": ShuffleExplorer,
    "conv3d": Conv3dExplorer,
    "transposed": TransposedExplorer,
}
