"""Scenes: what each explorer of :mod:`convlib.widgets` shows, computed by convlib.

A *scene* function (:func:`conv_scene`, :func:`dilated_scene`,
:func:`separable_scene`, :func:`shuffle_scene`, :func:`transposed_scene`)
takes arrays and parameters, runs convlib's own computation and returns a
:class:`Scene`: the whole output, the highlighted output element, the input
cells its window reads, its sum of products written out, the output-size
formula with the numbers substituted, and the equivalent one-line call.
:func:`example_array` gives the explorers' small, stable example numbers.
Painting a scene is the job of :mod:`convlib.drawing`; this module needs
numpy and convlib only, so a notebook, a test or a grader can compute what
an explorer shows without matplotlib, ipywidgets or torch.

Nothing highlighted is worked out here a second time: windows and their
values come from :func:`convlib.conv_element`, scatter targets from
:func:`convlib.kernel_positions`, zero insertion from
:func:`convlib.zero_insert_and_pad`, connectivity and receptive fields from
convlib convolutions of one-hot inputs, sizes from the convolution itself.
A scene runs the very call it shows (``scene.call``), so an invalid
combination raises that call's own ``ValueError``.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import shapes
from ._args import positive_int
from .conv import conv1d, conv2d, conv3d, conv_element
from .dilated import dilate_kernel
from .separable import depthwise_conv, depthwise_separable_conv
from .shuffle import channel_shuffle
from .transposed import conv_transpose2d, conv_transpose_naive, transposed_as_conv_weight, zero_insert_and_pad

__all__ = [
    "Scene",
    "conv_scene",
    "dilated_scene",
    "example_array",
    "separable_scene",
    "shuffle_scene",
    "transposed_scene",
]

_ARROW = " \u2192 "  # between successive receptive fields; convlib.drawing's titles use it too


# --------------------------------------------------------------------------- example data


_EXAMPLE_SIDE = 16  # the largest size of any axis an explorer offers


@functools.cache
def _example_master(rank: int, low: int, high: int, seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).integers(low, high + 1, size=(_EXAMPLE_SIDE,) * rank, dtype=np.int8)
    return values.astype(np.float64)


def example_array(shape, low: int = 0, high: int = 4, seed: int = 0) -> np.ndarray:
    """Small integers for the explorers, stable when the array grows.

    Each element depends only on its index, ``low``, ``high`` and ``seed``:
    enlarging the input keeps the numbers already on screen, so a learner
    who changes a size sees the same data, extended.

    Parameters
    ----------
    shape : tuple of int
        1 to 5 axes of 1 to 16 elements.
    low, high : int
        Inclusive range of the values.
    seed : int
        Seed of the random generator.

    Returns
    -------
    ndarray of float64, shape ``shape``
    """
    shape = tuple(int(n) for n in shape)
    if not 1 <= len(shape) <= 5 or not all(1 <= n <= _EXAMPLE_SIDE for n in shape):
        raise ValueError(f"example_array: shape must have 1 to 5 axes of 1 to {_EXAMPLE_SIDE} elements, "
                         f"got {shape}")
    return _example_master(len(shape), low, high, seed)[tuple(slice(0, n) for n in shape)].copy()


# --------------------------------------------------------------------------- scenes


@dataclass(frozen=True)
class Scene:
    """What an explorer shows for one choice of arrays and parameters.

    Attributes
    ----------
    kind : str
        ``"conv"``, ``"dilated"``, ``"separable"``, ``"shuffle"`` or ``"transposed"``.
    output : ndarray
        The whole output ``(C_out, *spatial_out)``; for ``"shuffle"`` the
        connectivity ``(C_in, C_out)``: which outputs see which inputs.
    position : int
        Flat (C-order) index into ``output`` of the highlighted element.
    out_index : tuple of int
        The same element as an index ``(c_out, *spatial_out)``.
    value : float
        Its value.
    highlighted : dict of str to tuple
        Named sets of highlighted cells, each a tuple of index tuples:
        ``"window"``, the input cells ``(c, *spatial)`` under the kernel
        (an index below 0 or past the end lies in the padding);
        ``"output"``, the output element; and the sets each scene function
        lists.
    sum_text : str
        The element's sum of products, written out (may span lines).
    formula : str
        The output-size formula with the current numbers substituted.
    call : str
        The equivalent one-line ``convlib`` call, on arrays named ``x``, ``w``, ...
    torch_call : str
        The same in ``torch.nn.functional``.
    arrays : dict
        What the draw function needs besides the above.
    """

    kind: str
    output: np.ndarray
    position: int
    out_index: tuple[int, ...]
    value: float
    highlighted: dict[str, tuple]
    sum_text: str
    formula: str
    call: str
    torch_call: str
    arrays: dict[str, Any] = field(default_factory=dict)

    @property
    def output_size(self) -> tuple[int, ...]:
        """Spatial size of the output (``"shuffle"``: ``(C_out,)``)."""
        return tuple(self.output.shape[1:])


def _fmt(value) -> str:
    """A number as the pictures write it: no ``.0`` on integers, a true minus sign."""
    value = float(value)
    text = str(int(value)) if value.is_integer() else f"{value:.3g}"
    return text.replace("-", "\u2212")


def _factor(value) -> str:
    text = _fmt(value)
    return f"({text})" if text.startswith("\u2212") else text


def _index(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _products(window: np.ndarray, kernel: np.ndarray) -> list[str]:
    return [f"{_factor(a)}\u00b7{_factor(b)}" for a, b in zip(window.ravel(), kernel.ravel(), strict=True)]


def _wrap(head: str, terms: list[str], tail: str, width: int = 112) -> str:
    """``head``, then ``terms`` joined by `` + ``, then ``tail``, in lines of at most ``width`` characters."""
    lines, line = [], head
    for n, term in enumerate(terms):
        piece = term if n == 0 else " + " + term
        if len(line) + len(piece) > width:
            lines.append(line)
            line = "    " + piece
        else:
            line += piece
    if len(line) + len(tail) > width:
        lines.append(line)
        line = "    "
    return "\n".join([*lines, line + tail])


def _position(fn: str, position, count: int) -> int:
    """The flat output position, clamped to the last element.

    Clamped rather than refused: an explorer's position slider may still
    point past an output that a parameter change has just shrunk.
    """
    position = int(position)
    if position < 0:
        raise ValueError(f"{fn}: position must be non-negative, got {position}")
    return min(position, count - 1)


def _unravel(position: int, shape) -> tuple[int, ...]:
    return tuple(int(v) for v in np.unravel_index(position, shape))


def _kwargs(**pairs) -> str:
    """``, name=value`` for each argument that differs from its default; pairs are ``(value, default)``."""
    return "".join(f", {name}={value!r}" for name, (value, default) in pairs.items() if value != default)


def _conv_formula(sizes, kernel, stride, padding, dilation, outs, axis_names) -> str:
    """``o = floor(...) + 1``, then each axis's numbers substituted (once if all axes agree)."""
    if dilation == 1:
        general = "o = \u230a(i + 2p \u2212 k)/s\u230b + 1"
        template = "\u230a({i} + 2\u00b7{p} \u2212 {k})/{s}\u230b + 1 = {o}"
    else:
        general = "o = \u230a(i + 2p \u2212 d(k \u2212 1) \u2212 1)/s\u230b + 1"
        template = "\u230a({i} + 2\u00b7{p} \u2212 {d}\u00b7({k} \u2212 1) \u2212 1)/{s}\u230b + 1 = {o}"
    numbers = [template.format(i=i, k=k, o=o, p=padding, s=stride, d=dilation)
               for i, k, o in zip(sizes, kernel, outs, strict=True)]
    if len(set(numbers)) == 1:
        return f"{general}  =  {numbers[0]}"
    return f"{general}:   " + ";   ".join(f"{name} {n}" for name, n in zip(axis_names, numbers, strict=True))


def _check_unbatched(fn: str, input: np.ndarray, weight: np.ndarray, ranks=(1, 2, 3)) -> None:
    if weight.ndim - 2 not in ranks or input.ndim != weight.ndim - 1:
        raise ValueError(
            f"{fn}: input must be unbatched (C_in, *spatial) and weight (C_out, C_in, *k) with "
            f"{' or '.join(map(str, ranks))} spatial axes, got input {input.shape} and weight {weight.shape}"
        )


def _window_cells(element) -> tuple[tuple[int, ...], ...]:
    """Every input cell ``(c, *spatial)`` a :class:`convlib.conv.ConvElement` reads."""
    return tuple((c, *cell) for c in element.channels for cell in itertools.product(*element.positions))


def conv_scene(input, weight, stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1,
               position: int = 0) -> Scene:
    """Scene of an ordinary convolution: 1D, 2D or 3D, with channels and groups.

    Sections 1 (the convolution operation), 2 (2D, 1D and multichannel
    convolution) and 6 (3D convolution) of the course.

    Parameters
    ----------
    input : ndarray, shape (C_in, *spatial)
        Unbatched input.
    weight : ndarray, shape (C_out, C_in / groups, *k)
    stride, padding, dilation, groups : int
        As in :func:`convlib.conv2d`.
    position : int
        Flat index of the highlighted element of the ``(C_out, *spatial_out)``
        output, clamped to the last one.

    Returns
    -------
    Scene
        ``highlighted["window"]`` holds the cells that
        :func:`convlib.conv_element` puts under the kernel;
        ``arrays["partials"]`` the element's sum per input channel read (for
        one channel in 3D: per depth slice of the kernel).

    Raises
    ------
    ValueError
        The message of ``convlib.conv{1,2,3}d`` for an invalid combination,
        e.g. ``conv2d: kernel 5 is larger than padded input 4 along H ...``.
    """
    input, weight = np.asarray(input), np.asarray(weight)
    _check_unbatched("conv_scene", input, weight)
    ndim = weight.ndim - 2
    conv_nd = {1: conv1d, 2: conv2d, 3: conv3d}[ndim]
    output = conv_nd(input, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    position = _position("conv_scene", position, output.size)
    out_index = _unravel(position, output.shape)
    element = conv_element(input, weight, out_index, stride=stride, padding=padding, dilation=dilation,
                           groups=groups)
    # Per-channel partial sums show the channels combining (section 2); a one-channel 3D
    # kernel is split by depth instead (section 6: a 3D convolution is a sum of 2D ones).
    by_depth = ndim == 3 and len(element.channels) == 1
    windows, kernels = element.window, element.kernel
    if by_depth:
        windows, kernels = windows[0], kernels[0]
    partials = (windows * kernels).reshape(len(windows), -1).sum(axis=1)

    single = input.shape[0] == 1 and weight.shape[0] == 1
    name = "y" + _index(out_index[1:] if single else out_index)
    if len(windows) > 1:
        lines = []
        for n, partial in enumerate(partials):
            label = (f"x depth {element.positions[0][n]}" if by_depth
                     else f"x[{element.channels[n]}]\u2217w[{out_index[0]}, {n}]")
            lines.append(_wrap(f"{label}: ", _products(windows[n], kernels[n]), f" = {_fmt(partial)}"))
        lines.append(_wrap(f"{name} = ", [_factor(p) for p in partials], f" = {_fmt(element.value)}"))
        sum_text = "\n".join(lines)
    else:
        sum_text = _wrap(f"{name} = ", _products(element.window, element.kernel), f" = {_fmt(element.value)}")

    formula = _conv_formula(input.shape[1:], weight.shape[2:], stride, padding, dilation, output.shape[1:],
                            ("depth", "height", "width")[-ndim:])
    args = _kwargs(stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1), groups=(groups, 1))
    return Scene(
        kind="conv", output=output, position=position, out_index=out_index, value=float(element.value),
        highlighted={"window": _window_cells(element), "output": (out_index,)},
        sum_text=sum_text, formula=formula,
        call=f"convlib.conv{ndim}d(x, w{args})", torch_call=f"torch.nn.functional.conv{ndim}d(x, w{args})",
        arrays={"input": input, "weight": weight, "element": element, "partials": partials,
                "stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
    )


@functools.lru_cache(maxsize=64)
def _receptive_cone(kernel_size: int, dilations: tuple[int, ...]) -> np.ndarray:
    """Which positions of each layer of a 1D stack feed the middle element of its last layer.

    Found by convolving one-hot inputs (a batch with a single 1 per position)
    through the remaining layers with all-ones kernels: position ``j`` feeds
    the top element exactly when its one-hot input reaches it. Rows: the
    input, then each layer's output; columns: positions, one more than the
    receptive field on each side.
    """
    length = shapes.receptive_field([(kernel_size, 1, d) for d in dilations]) + 2
    top = length // 2
    ones = np.ones((1, 1, kernel_size))
    cone = np.zeros((len(dilations) + 1, length), dtype=bool)
    cone[-1, top] = True
    for layer in range(len(dilations)):
        reach = np.eye(length)[:, None, :]  # (length, 1, length): one one-hot row per position
        for d in dilations[layer:]:
            reach = conv1d(reach, ones, padding="same", dilation=d)
        cone[layer] = reach[:, 0, top] != 0
    return cone


def dilated_scene(input, weight, padding: int = 0, dilation: int = 1, layers: int = 3,
                  position: int = 0) -> Scene:
    """Scene of a dilated convolution, and of the receptive field of a stack of them.

    Section 4 of the course (dilated convolution).

    Parameters
    ----------
    input : ndarray, shape (C_in, H, W)
    weight : ndarray, shape (C_out, C_in, k, k)
    padding, dilation : int
        Of the one layer drawn on the grid.
    layers : int
        Depth of the 1D stack beside it: layer ``l`` (from 0) has dilation
        ``dilation ** l`` and a kernel of ``k`` taps.
    position : int
        As in :func:`conv_scene`.

    Returns
    -------
    Scene
        As :func:`conv_scene`, plus ``highlighted["receptive_field"]``: the
        input positions, relative to the top element, that feed it through the
        stack. ``arrays["cone"]`` (layers + 1, positions) of bools: the
        positions of each layer that do; ``arrays["fields"]`` and
        ``arrays["plain_fields"]``: the receptive field after each layer with
        and without dilation (:func:`convlib.receptive_fields`);
        ``arrays["dilated_kernel"]`` (:func:`convlib.dilate_kernel`).
    """
    layers = int(layers)
    if layers < 1:
        raise ValueError(f"dilated_scene: layers must be positive, got {layers}")
    scene = conv_scene(input, weight, padding=padding, dilation=dilation, position=position)
    weight = scene.arrays["weight"]
    k = weight.shape[-1]
    dilations = tuple(dilation ** n for n in range(layers))
    cone = _receptive_cone(k, dilations)
    top = cone.shape[1] // 2
    fields = shapes.receptive_fields([(k, 1, d) for d in dilations])
    plain = shapes.receptive_fields([(k, 1, 1)] * layers)
    formula = (scene.formula + f"\nreceptive field of {layers} layer(s), dilations "
               f"{', '.join(map(str, dilations))}: {_ARROW.join(map(str, fields))}"
               f"   (without dilation: {_ARROW.join(map(str, plain))}), with the same {layers * k} taps")
    return replace(
        scene, kind="dilated", formula=formula,
        highlighted={**scene.highlighted,
                     "receptive_field": tuple((int(j) - top,) for j in np.flatnonzero(cone[0]))},
        arrays={**scene.arrays, "cone": cone, "dilations": dilations, "fields": fields, "plain_fields": plain,
                "dilated_kernel": dilate_kernel(weight, dilation)},
    )


def separable_scene(input, depthwise_weight, pointwise_weight, padding: int = 0, position: int = 0) -> Scene:
    """Scene of a depthwise separable convolution: depthwise, then pointwise.

    Section 3 of the course (depthwise separable convolution, MobileNet).

    Parameters
    ----------
    input : ndarray, shape (C_in, H, W)
    depthwise_weight : ndarray, shape (C_in, 1, kH, kW)
    pointwise_weight : ndarray, shape (C_out, C_in, 1, 1)
    padding : int
        Of the depthwise step.
    position : int
        Flat index of the highlighted element of the ``(C_out, H_out, W_out)``
        output, clamped to the last.

    Returns
    -------
    Scene
        ``highlighted["window"]``: the depthwise windows, one per input
        channel; ``highlighted["depthwise"]``: the depthwise outputs that the
        pointwise step mixes into the element. ``arrays["counts"]``: the
        multiply-adds of an ordinary convolution of the same shapes and of the
        depthwise and pointwise steps, and their ratio, from
        :mod:`convlib.counting`.
    """
    from . import counting  # the closed forms; imported when first needed, as the explorers are

    input = np.asarray(input)
    depthwise_weight, pointwise_weight = np.asarray(depthwise_weight), np.asarray(pointwise_weight)
    _check_unbatched("separable_scene", input, depthwise_weight, ranks=(2,))
    c_in, c_out = input.shape[0], pointwise_weight.shape[0]
    output = depthwise_separable_conv(input, depthwise_weight, pointwise_weight, padding=padding)
    depthwise = depthwise_conv(input, depthwise_weight, padding=padding)  # (C_in, H_out, W_out)
    position = _position("separable_scene", position, output.size)
    out_index = _unravel(position, output.shape)
    spatial = out_index[1:]
    # Depthwise is groups=C_in: depthwise channel c reads input channel c alone.
    depth_elements = [conv_element(input, depthwise_weight, (c, *spatial), padding=padding, groups=c_in)
                      for c in range(c_in)]
    point = conv_element(depthwise, pointwise_weight, out_index)
    lines = [_wrap(f"d[{c}]{_index(spatial)} = ", _products(e.window, e.kernel), f" = {_fmt(e.value)}")
             for c, e in enumerate(depth_elements)]
    lines.append(_wrap(f"y{_index(out_index)} = ", _products(point.window, point.kernel),
                       f" = {_fmt(point.value)}"))
    kernel, outs = depthwise_weight.shape[2:], output.shape[1:]
    counts = {
        "ordinary": counting.conv_mult_adds(c_in, c_out, kernel, outs),
        "depthwise": counting.depthwise_mult_adds(c_in, kernel, outs),
        "pointwise": counting.pointwise_mult_adds(c_in, c_out, outs),
        "separable": counting.depthwise_separable_mult_adds(c_in, c_out, kernel, outs),
        "ratio": counting.depthwise_separable_ratio(c_out, kernel),
    }
    formula = (_conv_formula(input.shape[1:], kernel, 1, padding, 1, outs, ("height", "width"))
               + "\nseparable / ordinary = 1/C_O + 1/(K1\u00b7K2)"
               f" = 1/{c_out} + 1/({kernel[0]}\u00b7{kernel[1]})"
               f" = {counts['ratio']:.3f}:  {counts['separable']:,} against {counts['ordinary']:,} mult-adds")
    args = _kwargs(padding=(padding, 0))
    return Scene(
        kind="separable", output=output, position=position, out_index=out_index, value=float(point.value),
        highlighted={"window": tuple(cell for e in depth_elements for cell in _window_cells(e)),
                     "depthwise": tuple((c, *spatial) for c in range(c_in)), "output": (out_index,)},
        sum_text="\n".join(lines), formula=formula,
        call=f"convlib.depthwise_separable_conv(x, wd, wp{args})",
        torch_call=f"torch.nn.functional.conv2d(torch.nn.functional.conv2d(x, wd{args}, groups={c_in}), wp)",
        arrays={"input": input, "depthwise_weight": depthwise_weight, "pointwise_weight": pointwise_weight,
                "depthwise": depthwise, "depth_elements": depth_elements, "padding": padding,
                "counts": counts},
    )


def _spans(channels) -> str:
    """``0..2, 5`` for channels 0, 1, 2, 5."""
    runs: list[list[int]] = []
    for c in sorted(int(c) for c in channels):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return ", ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in runs)


def shuffle_scene(channels: int, groups: int, position: int = 0) -> Scene:
    """Scene of two grouped 1x1 layers, without and with a channel shuffle between them.

    Section 5 of the course (shuffle convolution, ShuffleNet).

    Connectivity is computed, not reasoned out: a batch of one-hot inputs
    (one per input channel) goes through :func:`convlib.conv2d` with
    all-ones grouped kernels and through :func:`convlib.channel_shuffle`; an
    output sees an input exactly when that input's one-hot image reaches it.

    Parameters
    ----------
    channels : int
        Channels of every layer.
    groups : int
        Groups of both convolutions and of the shuffle.
    position : int
        The highlighted output channel, clamped to the last.

    Returns
    -------
    Scene
        ``output``: bool ``(C_in, C_out)``, which outputs see which inputs
        with the shuffle. ``highlighted["seen"]`` and ``["seen_plain"]``: the
        input channels the highlighted output sees with and without it;
        ``["reads"]``: the channels of the middle layer it reads.
        ``arrays``: ``first`` (x to h, also h' to y: the same grouped
        layer), ``shuffle`` (h to h'), ``plain`` and ``shuffled`` (x to y).
    """
    channels = positive_int("shuffle_scene", "channels", channels)
    groups = positive_int("shuffle_scene", "groups", groups)
    one_hot = np.eye(channels).reshape(channels, channels, 1, 1)  # (N=C, C, 1, 1): image c is 1 in channel c
    # All-ones weights: a connection can never cancel out. Their shape is for a valid
    # combination only; for any other, conv2d says what is wrong in the learner's terms.
    weight = np.ones((channels, max(channels // groups, 1), 1, 1))
    h = conv2d(one_hot, weight, groups=groups)  # (C, C, 1, 1)
    h_shuffled = channel_shuffle(h, groups)
    first = h[:, :, 0, 0] != 0  # (C_in, C_mid): x -> h
    shuffle = channel_shuffle(one_hot, groups)[:, :, 0, 0] != 0  # (C, C): h -> h'
    plain = conv2d(h, weight, groups=groups)[:, :, 0, 0] != 0  # (C_in, C_out), no shuffle
    shuffled = conv2d(h_shuffled, weight, groups=groups)[:, :, 0, 0] != 0  # (C_in, C_out), shuffle
    order = np.argmax(shuffle, axis=0)  # h'[j] = h[order[j]]
    out = _position("shuffle_scene", position, channels)
    reads = np.flatnonzero(first[:, out])  # the layer-2 element reads these channels of h' (of h, unshuffled)
    seen, seen_plain = np.flatnonzero(shuffled[:, out]), np.flatnonzero(plain[:, out])
    moved = ", ".join(f"h[{order[j]}]" for j in reads)
    sum_text = (
        f"without shuffle: y[{out}] = \u03a3 w\u00b7h[{_spans(reads)}];  h[{_spans(reads)}] read "
        f"x[{_spans(seen_plain)}]: {len(seen_plain)} of {channels} inputs\n"
        f"with shuffle:    y[{out}] = \u03a3 w\u00b7h'[{_spans(reads)}] = \u03a3 w\u00b7({moved});  "
        "these read "
        f"x[{_spans(seen)}]: {len(seen)} of {channels} inputs"
    )
    formula = (f"channel_shuffle(h, g={groups}): reshape the {channels} channels to (g, C/g) = "
               f"({groups}, {channels // groups}), transpose, flatten:  h' = h[{' '.join(map(str, order))}]")
    g = groups
    return Scene(
        kind="shuffle", output=shuffled, position=out, out_index=(out,), value=float(len(seen)),
        highlighted={"output": ((out,),), "seen": tuple((int(c),) for c in seen),
                     "seen_plain": tuple((int(c),) for c in seen_plain),
                     "reads": tuple((int(c),) for c in reads)},
        sum_text=sum_text, formula=formula,
        call=(f"convlib.conv2d(convlib.channel_shuffle(convlib.conv2d(x, w1, groups={g}), {g}), "
              f"w2, groups={g})"),
        torch_call=(f"torch.nn.functional.conv2d(torch.nn.functional.channel_shuffle("
                    f"torch.nn.functional.conv2d(x, w1, groups={g}), {g}), w2, groups={g})"),
        arrays={"first": first, "shuffle": shuffle, "plain": plain, "shuffled": shuffled, "order": order},
    )


def transposed_scene(input, weight, stride: int = 1, padding: int = 0, output_padding: int = 0,
                     position: int = 0) -> Scene:
    """Scene of a one-channel 2D transposed convolution, computed two ways.

    Section 7 of the course. *Zero insertion*: insert ``z = s - 1`` zeros
    between input elements, pad ``p' = k - 1 - p`` before and ``p' + a``
    after (:func:`convlib.zero_insert_and_pad`), then convolve with the
    flipped kernel at stride ``s' = 1``. *Scatter*: every input element adds
    ``x * w`` into the output cells :func:`convlib.kernel_positions` gives
    (:func:`convlib.conv_transpose_naive`).

    Parameters
    ----------
    input : ndarray, shape (1, H, W)
    weight : ndarray, shape (1, 1, kH, kW)
    stride, padding, output_padding : int
        As in :func:`convlib.conv_transpose2d`.
    position : int
        Flat index of the highlighted element of the ``(1, H_out, W_out)``
        output, clamped to the last.

    Returns
    -------
    Scene
        ``highlighted["window"]``: cells ``(0, row, col)`` of the
        zero-inserted, padded input under the flipped kernel;
        ``["contributors"]``: the input elements ``(0, row, col)`` whose
        scatter reaches the output element; ``["inserted"]``: cells
        ``(row, col)`` of the padded input that are inserted zeros.
        ``arrays``: ``padded``, ``flipped``, the output both ways
        (``gathered``, ``scattered``), ``terms`` (input row, col, kernel
        tap row, col, and the output rows and columns that input writes), and
        the :class:`convlib.ZeroInsertion` of each axis (``insertion``).
    """
    input, weight = np.asarray(input), np.asarray(weight)
    _check_unbatched("transposed_scene", input, weight, ranks=(2,))
    if input.shape[0] != 1 or weight.shape[:2] != (1, 1):
        raise ValueError(f"transposed_scene: draws one channel: input (1, H, W) and weight (1, 1, kH, kW), "
                         f"got input {input.shape} and weight {weight.shape}")
    output = conv_transpose2d(input, weight, stride=stride, padding=padding, output_padding=output_padding)
    kernel = weight.shape[2:]
    insertion = tuple(shapes.zero_insertion_params(i, k, stride, padding, output_padding)
                      for i, k in zip(input.shape[1:], kernel, strict=True))
    scattered = conv_transpose_naive(input, weight, stride=stride, padding=padding,
                                     output_padding=output_padding)
    padded = zero_insert_and_pad(input, kernel, stride=stride, padding=padding, output_padding=output_padding)
    # The ordinary convolution equal to the transposed one: the kernel flipped in space,
    # in and out channels swapped, (C_in, C_out, k, k) -> (C_out, C_in, k, k).
    flipped = transposed_as_conv_weight(weight)
    gathered = conv2d(padded, flipped)
    position = _position("transposed_scene", position, output.size)
    out_index = _unravel(position, output.shape)
    element = conv_element(padded, flipped, out_index)

    # Where each input element lands: zero-insert and pad the numbers 1..n (0 stays a zero).
    h, w = input.shape[1:]
    numbers = np.arange(1, h * w + 1, dtype=np.float64).reshape(1, h, w)
    landed = zero_insert_and_pad(numbers, kernel, stride=stride, padding=padding,
                                 output_padding=output_padding)[0].astype(int)
    rows, cols = np.flatnonzero(landed.any(axis=1)), np.flatnonzero(landed.any(axis=0))
    between = np.zeros(landed.shape, dtype=bool)  # the zeros between landed elements were inserted
    if rows.size:
        between[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
    inserted = tuple((int(r), int(c)) for r, c in zip(*np.nonzero(between & (landed == 0)), strict=True))

    # Scatter: the input elements that write into the output element, and with which kernel tap.
    row_out, col_out = out_index[1:]
    terms = []
    for r in range(h):
        rows_written = shapes.kernel_positions(r, kernel[0], stride, padding)
        for c in range(w):
            cols_written = shapes.kernel_positions(c, kernel[1], stride, padding)
            if row_out in rows_written and col_out in cols_written:
                terms.append((r, c, rows_written.index(row_out), cols_written.index(col_out),
                              rows_written, cols_written))
    name = "y" + _index(out_index[1:])
    symbolic = [f"x[{r}, {c}]\u00b7w[{a}, {b}]" for r, c, a, b, _, _ in terms] or ["0"]
    numeric = [f"{_factor(input[0, r, c])}\u00b7{_factor(weight[0, 0, a, b])}" for r, c, a, b, _, _ in terms]
    scatter_line = _wrap(f"scatter: {name} = ", symbolic,
                         " = " + " + ".join(numeric or ["0"]) + f" = {_fmt(scattered[out_index])}")
    nonzero = [f"{_factor(a)}\u00b7{_factor(b)}"
               for a, b in zip(element.window.ravel(), element.kernel.ravel(), strict=True) if a != 0]
    zeros = element.window.size - len(nonzero)
    gather_line = _wrap(f"zero insertion: {name} = ", nonzero or ["0"],
                        (f" + {zeros} products with a zero" if zeros else "") + f" = {_fmt(element.value)}")
    z = insertion[0]
    numbers_text = "; ".join(
        f"({i} \u2212 1)\u00b7{stride} \u2212 2\u00b7{padding} + {k} + {output_padding} = {o}"
        for n, (i, k, o) in enumerate(zip(input.shape[1:], kernel, output.shape[1:], strict=True))
        if n == 0 or insertion[0] != insertion[1])
    formula = (f"o = (i \u2212 1)\u00b7s \u2212 2p + k + a  =  {numbers_text}\n"
               f"z = s \u2212 1 = {z.z},  p' = k \u2212 1 \u2212 p = {z.p_before}"
               f" (after: p' + a = {z.p_after}),"
               f"  s' = {z.s_prime},  a = {z.a}\nboth views give the same output: "
               f"max |zero insertion \u2212 scatter| = {_fmt(np.abs(gathered - scattered).max())}")
    args = _kwargs(stride=(stride, 1), padding=(padding, 0), output_padding=(output_padding, 0))
    return Scene(
        kind="transposed", output=output, position=position, out_index=out_index,
        value=float(output[out_index]),
        highlighted={"window": _window_cells(element), "output": (out_index,), "inserted": inserted,
                     "contributors": tuple((0, r, c) for r, c, *_ in terms)},
        sum_text=scatter_line + "\n" + gather_line, formula=formula,
        call=f"convlib.conv_transpose2d(x, w{args})",
        torch_call=f"torch.nn.functional.conv_transpose2d(x, w{args})",
        arrays={"input": input, "weight": weight, "padded": padded, "flipped": flipped, "landed": landed,
                "gathered": gathered, "scattered": scattered, "element": element, "terms": terms,
                "insertion": insertion, "stride": stride},
    )
