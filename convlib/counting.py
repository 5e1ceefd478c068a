"""Counting multiply-adds and parameters: in closed form, and measured on a model.

The counting convention
-----------------------
One **multiply-add** is one multiplication of an input value by a weight, together
with the addition that accumulates it. A kernel of ``n`` taps therefore costs ``n``
multiply-adds per output element (the sum of ``n`` products needs only ``n - 1``
additions; the convention rounds that up, as the papers do). Only convolutions (of any
rank, grouped, depthwise, dilated, transposed) and fully connected layers are counted;
bias, batch norm, activations, pooling, channel shuffle and element-wise additions
are not: they cost a few operations per output element, against hundreds per element
for a convolution.

**Parameters** are every learnable tensor element: weights, biases and batch norm's
scale and shift (not its running statistics, which are buffers), as
``sum(p.numel() for p in model.parameters())``.

Where the papers of the lecture's tables count otherwise (found by counting; each is
checked in ``tests/test_models.py``):

- MobileNet (Howard et al., 2017) counts "Mult-Adds" as here, but its parameter counts
  leave out batch norm, and its rows for other resolutions are the 224x224 count
  times ``rho^2``, which scales the FC layer too (Tables 7 and 9).
- ShuffleNet (Zhang et al., 2018) writes "FLOPs" for multiply-adds (VGG-16's 15,300
  is mult-adds in MobileNet's table, MFLOPs in ShuffleNet's). Its Table 1 leaves out
  the final FC layer; its Table 6 includes it.
- GoogLeNet's Table 1 (Szegedy et al., 2015) counts operations as here, and
  parameters in units of 1024.
- ``torch.utils.flop_counter`` counts a multiply-add as two floating-point
  operations: twice these numbers.

The closed forms below are plain Python integer arithmetic, with no torch: the
interactive explorer calls them. The measured counts (:func:`count_mult_adds`,
:func:`layer_report`) run the model's own ``forward`` with hooks on its layers and
import torch when called.

Shape letters, as in torch: ``C_in, C_out`` channels, ``k`` the kernel size (``kH, kW``),
``H_out, W_out`` (or any number of spatial axes) the output size, ``g`` groups. The
lecture writes the same thing as ``K1*K2*C_I*W*H*C_O`` (section 3, "Depthwise separable
convolution").

Sizes: ``kernel_size``, ``output_size`` and ``input_size`` are an int or a tuple with
one int per spatial axis. A tuple gives the rank (``(5, 5)`` is a 2D kernel, ``(3, 3, 3)``
a 3D one); an int given beside a tuple is repeated to the tuple's rank, as torch does
with ``kernel_size=3``; two ints alone describe a 1D layer. So the lecture's 2D example is
``conv_mult_adds(3, 256, (5, 5), (8, 8))``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ._args import is_int, positive_int

if TYPE_CHECKING:  # the closed forms must import without torch
    import torch

__all__ = [
    "LayerReport",
    "LayerRow",
    "conv_mult_adds",
    "conv_params",
    "conv_transpose_mult_adds",
    "count_mult_adds",
    "count_params",
    "depthwise_mult_adds",
    "depthwise_separable_mult_adds",
    "depthwise_separable_params",
    "depthwise_separable_ratio",
    "layer_report",
    "linear_mult_adds",
    "linear_params",
    "pointwise_mult_adds",
]


# ----------------------------------------------------------------------------- argument checks


def _size(fn: str, name: str, value) -> tuple[int, ...] | int:
    """An int, or a non-empty tuple of positive ints; refuses anything else."""
    if is_int(value):
        return positive_int(fn, name, value)
    if isinstance(value, (tuple, list)) and value and all(is_int(v) and v >= 1 for v in value):
        return tuple(int(v) for v in value)
    raise ValueError(
        f"{fn}: {name} must be a positive int or a non-empty tuple of positive ints, got {value!r}"
    )


def _spatial(fn: str, **sizes) -> list[tuple[int, ...]]:
    """Sizes with a common rank: a tuple fixes the rank, an int is repeated to it (1D if all are ints)."""
    checked = {name: _size(fn, name, value) for name, value in sizes.items()}
    ranks = {name: len(v) for name, v in checked.items() if isinstance(v, tuple)}
    if len(set(ranks.values())) > 1:
        shown = ", ".join(f"{name} has {r}" for name, r in ranks.items())
        raise ValueError(f"{fn}: sizes must have the same number of spatial axes, but {shown}")
    rank = next(iter(ranks.values()), 1)
    return [v if isinstance(v, tuple) else (v,) * rank for v in checked.values()]


def _channels(fn: str, in_channels, out_channels, groups) -> tuple[int, int, int]:
    in_channels = positive_int(fn, "in_channels", in_channels)
    out_channels = positive_int(fn, "out_channels", out_channels)
    groups = positive_int(fn, "groups", groups)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(f"{fn}: {name} ({value}) must be divisible by groups ({groups})")
    return in_channels, out_channels, groups


# ----------------------------------------------------------------------------- closed forms


def conv_mult_adds(in_channels, out_channels, kernel_size, output_size, groups=1) -> int:
    """Multiply-adds of a convolution: ordinary, grouped, depthwise, dilated, 1D, 2D or 3D.

    Each of the ``C_out * o_1 * ... * o_n`` output elements is one window of the input
    times one kernel (section 2, "2D convolution"): ``k_1 * ... * k_n`` taps on each of
    the ``C_in / g`` input channels of its group.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``; both divisible by ``groups``.
    kernel_size : int or tuple of int
        ``(k_1, ..., k_n)``.
    output_size : int or tuple of int
        ``(o_1, ..., o_n)``, e.g. ``(H_out, W_out)``: the spatial size of one image's
        output (:func:`convlib.shapes.conv_output_size`).
    groups : int, default 1
        ``g``.

    Returns
    -------
    int

    Shapes
    ------
    weight ``(C_out, C_in / g, k_1, ..., k_n)``, output ``(C_out, o_1, ..., o_n)``::

        mult-adds = k_1 * ... * k_n * (C_in / g) * C_out * o_1 * ... * o_n

    With ``g = 1`` and two spatial axes this is the lecture's ``K1*K2*C_I*W*H*C_O``
    (section 3, "Depthwise separable convolution").

    Notes
    -----
    One formula covers every kind the lecture names:

    - **grouped** (section 5, "Shuffle convolution"): each output channel reads
      ``C_in / g`` channels, so the cost is ``1/g`` of the ordinary one;
    - **depthwise**: ``g = C_in`` (:func:`depthwise_mult_adds`);
    - **dilated** (section 4): dilation spreads the taps but adds none, so the formula
      is unchanged; only the output size changes (``conv_output_size`` with ``dilation``);
    - **1D and 3D** (sections 2 and 6): one, or three, entries in ``kernel_size`` and
      ``output_size``.

    Zero padding is counted like any other input: frameworks multiply the padded
    zeros too.

    Examples
    --------
    The lecture's example (12x12x3 input, 5x5 kernel, 8x8x256 output):

    >>> conv_mult_adds(3, 256, (5, 5), (8, 8))
    1228800
    """
    fn = "conv_mult_adds"
    in_channels, out_channels, groups = _channels(fn, in_channels, out_channels, groups)
    kernel_size, output_size = _spatial(fn, kernel_size=kernel_size, output_size=output_size)
    return math.prod(kernel_size) * (in_channels // groups) * out_channels * math.prod(output_size)


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=False) -> int:
    """Parameters of a convolution or a transposed convolution, any rank.

    Shapes
    ------
    weight ``(C_out, C_in / g, k_1, ..., k_n)`` (a transposed convolution's is
    ``(C_in, C_out / g, k_1, ..., k_n)``, as many elements), bias ``(C_out,)``::

        params = k_1 * ... * k_n * (C_in / g) * C_out  (+ C_out with bias)

    Dilation does not change it (section 4: a larger receptive field for the same
    parameters). Arguments as in :func:`conv_mult_adds`; ``bias`` is True or False.

    Examples
    --------
    >>> conv_params(3, 256, (5, 5))
    19200
    >>> conv_params(32, 32, (3, 3), groups=32, bias=True)  # depthwise
    320
    """
    fn = "conv_params"
    in_channels, out_channels, groups = _channels(fn, in_channels, out_channels, groups)
    (kernel_size,) = _spatial(fn, kernel_size=kernel_size)
    if not isinstance(bias, bool):
        raise ValueError(f"{fn}: bias must be True or False, got {bias!r}")
    return math.prod(kernel_size) * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def depthwise_mult_adds(channels, kernel_size, output_size, multiplier=1) -> int:
    """Multiply-adds of a depthwise convolution: each channel convolved with its own kernels.

    :func:`conv_mult_adds` with ``groups = C`` and ``C_out = C * m``. Section 3,
    "Depthwise separable convolution".

    Shapes
    ------
    weight ``(C * m, 1, k_1, ..., k_n)``, output ``(C * m, o_1, ..., o_n)``::

        mult-adds = k_1 * ... * k_n * C * m * o_1 * ... * o_n

    With ``m = 1`` in 2D, the lecture's ``K1*K2*C_I*W*H``.

    Examples
    --------
    >>> depthwise_mult_adds(3, (5, 5), (8, 8))
    4800
    """
    fn = "depthwise_mult_adds"
    channels = positive_int(fn, "channels", channels)
    multiplier = positive_int(fn, "multiplier", multiplier)
    kernel_size, output_size = _spatial(fn, kernel_size=kernel_size, output_size=output_size)
    return conv_mult_adds(channels, channels * multiplier, kernel_size, output_size, groups=channels)


def pointwise_mult_adds(in_channels, out_channels, output_size) -> int:
    """Multiply-adds of a pointwise (1x1) convolution, a fully connected layer across channels.

    :func:`conv_mult_adds` with a kernel of ones. Section 3, "Depthwise separable
    convolution".

    Shapes
    ------
    weight ``(C_out, C_in, 1, ..., 1)``, output ``(C_out, o_1, ..., o_n)``::

        mult-adds = C_in * C_out * o_1 * ... * o_n

    The lecture's ``C_I*W*H*C_O``.

    Examples
    --------
    >>> pointwise_mult_adds(3, 256, (8, 8))
    49152
    """
    fn = "pointwise_mult_adds"
    in_channels = positive_int(fn, "in_channels", in_channels)
    out_channels = positive_int(fn, "out_channels", out_channels)
    (output_size,) = _spatial(fn, output_size=output_size)
    return conv_mult_adds(in_channels, out_channels, (1,) * len(output_size), output_size)


def depthwise_separable_mult_adds(in_channels, out_channels, kernel_size, output_size) -> int:
    """Multiply-adds of a depthwise separable convolution: depthwise, then pointwise.

    Section 3, "Depthwise separable convolution"; divided by the ordinary convolution's
    count this is :func:`depthwise_separable_ratio`.

    Shapes
    ------
    depthwise weight ``(C_in, 1, k_1, ..., k_n)``, pointwise weight ``(C_out, C_in, 1, ..., 1)``,
    output ``(C_out, o_1, ..., o_n)``::

        mult-adds = k_1 * ... * k_n * C_in * o_1 * ... * o_n  +  C_in * C_out * o_1 * ... * o_n

    The lecture's ``K1*K2*C_I*W*H + C_I*W*H*C_O``.

    Examples
    --------
    The lecture's example: 4,800 + 49,152 = 53,952 (the slide's "52,952" is a slip).

    >>> depthwise_separable_mult_adds(3, 256, (5, 5), (8, 8))
    53952
    """
    fn = "depthwise_separable_mult_adds"
    in_channels = positive_int(fn, "in_channels", in_channels)
    out_channels = positive_int(fn, "out_channels", out_channels)
    kernel_size, output_size = _spatial(fn, kernel_size=kernel_size, output_size=output_size)
    return (depthwise_mult_adds(in_channels, kernel_size, output_size)
            + pointwise_mult_adds(in_channels, out_channels, output_size))


def depthwise_separable_params(in_channels, out_channels, kernel_size) -> int:
    """Weights of a depthwise separable convolution (no biases).

    Section 3, "Depthwise separable convolution"; MobileNet's Table 3 counts a layer so.

    Shapes
    ------
    weights ``(C_in, 1, k_1, ..., k_n)`` and ``(C_out, C_in, 1, ..., 1)``::

        params = k_1 * ... * k_n * C_in + C_in * C_out

    Examples
    --------
    >>> depthwise_separable_params(512, 512, (3, 3))
    266752
    """
    fn = "depthwise_separable_params"
    in_channels = positive_int(fn, "in_channels", in_channels)
    out_channels = positive_int(fn, "out_channels", out_channels)
    (kernel_size,) = _spatial(fn, kernel_size=kernel_size)
    return (conv_params(in_channels, in_channels, kernel_size, groups=in_channels)
            + conv_params(in_channels, out_channels, (1,) * len(kernel_size)))


def depthwise_separable_ratio(out_channels, kernel_size) -> float:
    """How much a depthwise separable convolution costs, as a fraction of the ordinary one.

    The input size and ``C_in`` cancel, so only ``C_out`` and the kernel matter. With
    3x3 kernels and hundreds of output channels the separable layer costs 8 to 9 times
    less (section 3, "Depthwise separable convolution"; MobileNet's section 3.1).

    Shapes
    ------
    ::

        (K1*K2*C_I*W*H + C_I*W*H*C_O) / (K1*K2*C_I*W*H*C_O)  =  1 / C_O + 1 / (K1*K2)

    in ``n`` dimensions ``1 / C_out + 1 / (k_1 * ... * k_n)``.

    Examples
    --------
    >>> round(depthwise_separable_ratio(256, (5, 5)), 6)  # the lecture's 53,952 / 1,228,800
    0.043906
    """
    fn = "depthwise_separable_ratio"
    out_channels = positive_int(fn, "out_channels", out_channels)
    (kernel_size,) = _spatial(fn, kernel_size=kernel_size)
    return 1 / out_channels + 1 / math.prod(kernel_size)


def conv_transpose_mult_adds(in_channels, out_channels, kernel_size, input_size, groups=1) -> int:
    """Multiply-adds of a transposed convolution, any rank.

    Counted in the scatter form (section 7, "Transposed convolution"): every input
    element is multiplied by a kernel of ``k_1 * ... * k_n`` taps for each of the
    ``C_out / g`` output channels of its group, and added into the output. It is the
    count of the ordinary convolution it transposes (input and output swapped), so it
    depends on the *input* size: stride, padding, dilation and ``output_padding`` change
    where the products land, not how many there are. Products landing in the border
    that ``padding`` crops are counted too, as torch computes them.

    The zero-insertion form (insert ``s - 1`` zeros, pad, convolve with the flipped
    kernel) computes the same output with more multiplications, most of them by the
    inserted zeros; this is the count of the useful ones.

    Shapes
    ------
    input ``(C_in, i_1, ..., i_n)``, weight ``(C_in, C_out / g, k_1, ..., k_n)``::

        mult-adds = k_1 * ... * k_n * C_in * (C_out / g) * i_1 * ... * i_n

    Arguments as in :func:`conv_mult_adds`, with ``input_size`` for ``output_size``.

    Examples
    --------
    >>> conv_transpose_mult_adds(256, 3, (5, 5), (8, 8))  # the lecture's example run backwards
    1228800
    """
    fn = "conv_transpose_mult_adds"
    in_channels, out_channels, groups = _channels(fn, in_channels, out_channels, groups)
    kernel_size, input_size = _spatial(fn, kernel_size=kernel_size, input_size=input_size)
    return math.prod(kernel_size) * in_channels * (out_channels // groups) * math.prod(input_size)


def linear_mult_adds(in_features, out_features) -> int:
    """Multiply-adds of a fully connected layer for one input vector.

    Each output is a dot product of length ``in_features``. A 1x1 convolution is this
    layer applied at every position (:func:`pointwise_mult_adds`).

    Shapes
    ------
    input ``(in_features,)``, weight ``(out_features, in_features)``::

        mult-adds = in_features * out_features

    Examples
    --------
    >>> linear_mult_adds(4096, 1000)
    4096000
    """
    fn = "linear_mult_adds"
    return positive_int(fn, "in_features", in_features) * positive_int(fn, "out_features", out_features)


def linear_params(in_features, out_features, bias=True) -> int:
    """Parameters of a fully connected layer (bias by default, as ``torch.nn.Linear``).

    Shapes
    ------
    weight ``(out_features, in_features)``, bias ``(out_features,)``::

        params = in_features * out_features  (+ out_features with bias)

    Examples
    --------
    >>> linear_params(1024, 1000)
    1025000
    """
    fn = "linear_params"
    in_features = positive_int(fn, "in_features", in_features)
    out_features = positive_int(fn, "out_features", out_features)
    if not isinstance(bias, bool):
        raise ValueError(f"{fn}: bias must be True or False, got {bias!r}")
    return in_features * out_features + (out_features if bias else 0)


# ----------------------------------------------------------------------------- measured counts


class LayerRow(NamedTuple):
    """One call of one layer in a :class:`LayerReport`.

    ``layer`` is the name in ``model.named_modules()``; ``output_shape`` includes the
    batch axis; the shares are fractions of the model's totals (0 to 1). A layer called
    twice has two rows; its parameters are in the first. The last row may be
    ``"(not in forward)"``: parameters of modules the forward pass did not call, or held
    by a container rather than a layer.
    """

    layer: str
    kind: str
    output_shape: tuple[int, ...] | None
    mult_adds: int
    params: int
    mult_adds_share: float
    params_share: float


@dataclass(frozen=True)
class LayerReport:
    """Per-layer multiply-adds and parameters of a model, in the order the layers ran.

    ``rows`` are :class:`LayerRow`; their ``mult_adds`` and ``params`` add up to
    ``total_mult_adds`` (= :func:`count_mult_adds`) and ``total_params``
    (= :func:`count_params`). ``print(report)`` shows them as a table.
    """

    rows: tuple[LayerRow, ...]
    total_mult_adds: int
    total_params: int
    input_size: tuple[int, ...]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __str__(self):
        head = ("layer", "type", "output shape", "mult-adds", "params", "% mult-adds", "% params")
        body = [
            (r.layer, r.kind, "" if r.output_shape is None else "x".join(map(str, r.output_shape)),
             f"{r.mult_adds:,}", f"{r.params:,}",
             f"{100 * r.mult_adds_share:.2f}", f"{100 * r.params_share:.2f}")
            for r in self.rows
        ]
        body.append(("total", "", "x".join(map(str, self.input_size)) + " in", f"{self.total_mult_adds:,}",
                     f"{self.total_params:,}", "100.00", "100.00"))
        widths = [max(len(line[j]) for line in [head, *body]) for j in range(len(head))]

        def fmt(line):
            # names left-aligned, numbers right-aligned, as in a printed table
            return "  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                             for j, (c, w) in enumerate(zip(line, widths, strict=True)))

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([fmt(head), rule, *map(fmt, body[:-1]), rule, fmt(body[-1])])

    def _repr_pretty_(self, printer, cycle):  # IPython shows the table, not the dataclass fields
        printer.text(str(self))


def _check_model(fn: str, model):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{fn}: model must be a torch.nn.Module, got {type(model).__name__}")


def _check_input_size(fn: str, input_size) -> tuple[int, ...]:
    valid = isinstance(input_size, (tuple, list)) and input_size
    if not (valid and all(is_int(v) and v >= 1 for v in input_size)):
        raise ValueError(
            f"{fn}: input_size must be a tuple of positive ints such as (1, 3, 224, 224), got {input_size!r}"
        )
    return tuple(int(v) for v in input_size)


def _measured_mult_adds(module, inputs, output) -> int:
    """Multiply-adds of one call, read off the tensors the layer really used.

    Deliberately not the closed forms above, so that the tests comparing the two compare
    two different derivations: here the count is (number of dot products) x (their length).
    """
    from torch import nn

    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        # scatter form: each input element times its group's weight slice (C_out/g, *k)
        return inputs[0].numel() * module.weight[0].numel()
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        # one window . kernel product per output element; weight[0] is one kernel (C_in/g, *k)
        return output.numel() * module.weight[0].numel()
    if isinstance(module, nn.Linear):
        # one dot product of length in_features per output element
        return output.numel() * module.weight.shape[1]
    return 0


def _output_shape(output) -> tuple[int, ...] | None:
    import torch

    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):  # e.g. an LSTM's (output, state): the first tensor
        for item in output:
            shape = _output_shape(item)
            if shape is not None:
                return shape
    return None


def _stand_in(tensor, device):
    """``tensor`` on ``device`` for the counting run: shape only on meta, shared storage elsewhere."""
    import torch

    data = tensor.detach()
    if device.type == "meta":
        data = torch.empty_like(data, device=device)
    elif data.device.type == "meta":  # a model built on meta has no values to move: zeros will do
        data = torch.zeros_like(data, device=device)
    else:
        data = data.to(device)
    if isinstance(tensor, torch.nn.Parameter):
        return torch.nn.Parameter(data, requires_grad=tensor.requires_grad)
    return data


def _run(fn: str, model, input_size, device) -> tuple[list[tuple[str, str, tuple | None, int, int]], int,
                                                      tuple[int, ...]]:
    """Run ``model`` once on zeros of ``input_size``; one raw row per layer call, the parameter total and
    the checked ``input_size``.

    The run is on a copy of the model whose parameters and buffers are stand-ins on
    ``device``, so the model itself is never changed (not its mode, not its batch norm
    statistics, not its tied weights). On the ``meta`` device (the default) tensors have
    shapes but no data: nothing is computed or allocated, so counting VGG-16 takes
    milliseconds.
    """
    import torch

    _check_model(fn, model)
    input_size = _check_input_size(fn, input_size)
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"{fn}: device must name a torch device such as 'meta' or 'cpu', got {device!r}"
        ) from error

    # deepcopy consults the memo first: every parameter and buffer is replaced by its
    # stand-in (a tensor tied between two layers keeps one stand-in) and no data is copied.
    memo = {id(t): _stand_in(t, device) for t in (*model.parameters(), *model.buffers())}
    run = copy.deepcopy(model, memo)
    # eval(): the count must not depend on dropout; batch norm must accept a batch of one
    run.eval()

    rows: list[tuple[str, str, tuple | None, int, int]] = []
    # Parameters already in a row: a layer may run twice, and two layers may share a weight.
    seen: set[int] = set()

    def hook(name):
        def record(module, inputs, output):
            mult_adds = _measured_mult_adds(module, inputs, output)
            own = [p for p in module.parameters(recurse=False) if id(p) not in seen]
            seen.update(id(p) for p in own)
            params = sum(p.numel() for p in own)
            if mult_adds or params:
                rows.append((name, type(module).__name__, _output_shape(output), mult_adds, params))
        return record

    # Leaf modules only: a container's cost is that of its layers.
    for name, module in run.named_modules():
        if next(module.children(), None) is None:
            module.register_forward_hook(hook(name))
    with torch.no_grad():
        run(torch.zeros(input_size, device=device))

    total_params = count_params(model)
    outside = total_params - sum(row[4] for row in rows)
    if outside:
        rows.append(("(not in forward)", "", None, 0, outside))
    return rows, total_params, input_size


def count_mult_adds(model: torch.nn.Module, input_size, *, device="meta") -> int:
    """Multiply-adds of one forward pass of ``model`` on an input of ``input_size``.

    Counts every call of an ``nn.Conv1d/2d/3d``, ``nn.ConvTranspose1d/2d/3d`` and
    ``nn.Linear`` in the forward pass, as (number of output elements) x (length of
    each one's dot product); see the module docstring for the convention. Operations
    written directly in ``forward`` (``F.conv2d``, ``x @ w``) rather than as layers are
    not seen.

    Parameters
    ----------
    model : torch.nn.Module
    input_size : tuple of int
        The input's full shape, batch axis included, e.g. ``(1, 3, 224, 224)``. The
        count is for the whole batch: papers quote one image, ``N = 1``.
    device : str or torch.device, default "meta"
        Where to run. ``"meta"`` computes shapes only (fast, no memory); use ``"cpu"``
        for a model whose forward needs real values (data-dependent control flow).

    Returns
    -------
    int

    Examples
    --------
    >>> from torch import nn
    >>> count_mult_adds(nn.Conv2d(3, 256, 5, bias=False), (1, 3, 12, 12))  # the lecture's example
    1228800
    """
    rows, _, _ = _run("count_mult_adds", model, input_size, device)
    return sum(row[3] for row in rows)


def count_params(model: torch.nn.Module) -> int:
    """Learnable parameters of ``model``: ``sum(p.numel() for p in model.parameters())``.

    Weights, biases and batch norm's scale and shift; a tensor shared by two layers
    is counted once; buffers (batch norm's running statistics) are not parameters.

    Examples
    --------
    >>> from torch import nn
    >>> count_params(nn.Conv2d(3, 256, 5))
    19456
    """
    _check_model("count_params", model)
    return sum(p.numel() for p in model.parameters())


def layer_report(model: torch.nn.Module, input_size, *, device="meta") -> LayerReport:
    """Per-layer multiply-adds, parameters and shares of the totals, from one forward pass.

    A row for each call of each layer that has multiply-adds or parameters (convolution,
    linear, batch norm), in the order they ran; activations and pooling are left out.
    ``print(layer_report(model, (1, 3, 224, 224)))`` shows the table; ``.rows`` gives
    :class:`LayerRow` tuples. Arguments as in :func:`count_mult_adds`.

    MobileNet's Table 2 ("Resource per layer type") is this report grouped by kind of
    layer.

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))
    >>> report = layer_report(model, (1, 3, 32, 32))
    >>> [(r.layer, r.mult_adds, r.params) for r in report.rows]
    [('0', 194400, 224), ('3', 72000, 72010)]
    """
    rows, total_params, input_size = _run("layer_report", model, input_size, device)
    total_mult_adds = sum(row[3] for row in rows)
    return LayerReport(
        rows=tuple(LayerRow(name, kind, shape, mult_adds, params,
                            mult_adds / total_mult_adds if total_mult_adds else 0.0,
                            params / total_params if total_params else 0.0)
                   for name, kind, shape, mult_adds, params in rows),
        total_mult_adds=total_mult_adds,
        total_params=total_params,
        input_size=input_size,
    )
