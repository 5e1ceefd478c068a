"""Convolution: one N-d implementation behind ``conv1d``, ``conv2d`` and ``conv3d``,
and the lecture's slow form that computes one output element at a time.

Taught in sections 1 ("The convolution operation"), 2 ("2D and 1D
convolution") and 6 ("3D convolution") of the course.

Shapes (torch's letters; ``*S`` is ``L``, ``H, W`` or ``D, H, W``)
    input   ``(N, C_in, *S_in)`` or unbatched ``(C_in, *S_in)``
    weight  ``(C_out, C_in / groups, *k)``
    bias    ``(C_out,)``
    output  ``(N, C_out, *S_out)``, each ``S_out`` from
            :func:`convlib.shapes.conv_output_size`:
            ``floor((S_in + 2p - d(k - 1) - 1) / s) + 1``

Groups
    ``groups = g`` splits the input channels into ``g`` groups of
    ``C_in / g`` and the output channels into ``g`` groups of ``C_out / g``;
    output group ``j`` sees input group ``j`` only. ``groups = C_in`` is the
    depthwise convolution of section 3, ``1 < groups < C_in`` the grouped
    convolution of section 5.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _args
from .shapes import kernel_positions, output_size

__all__ = [
    "ConvElement",
    "conv",
    "conv1d",
    "conv1d_naive",
    "conv2d",
    "conv2d_naive",
    "conv3d",
    "conv3d_naive",
    "conv_element",
    "conv_naive",
]

# The im2col buffer of one call stays under this many bytes: a larger batch is
# cut into chunks of images, which also keeps the buffer warm in cache.
WORKSPACE_BYTES = 32 * 2**20


class ConvArgs(NamedTuple):
    """A convolution's arguments, checked and in canonical form."""

    x: np.ndarray  # (N, C_in, *S_in), batched even when the caller's input was not
    weight: np.ndarray  # (C_out, C_in / groups, *k)
    bias: np.ndarray | None  # (C_out,)
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]  # (before, after) per spatial axis
    dilation: tuple[int, ...]
    groups: int
    out_size: tuple[int, ...]  # S_out
    was_batched: bool
    dtype: np.dtype


_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def parse_conv_args(fn, input, weight, bias, stride, padding, dilation, groups, rank=None) -> ConvArgs:
    """Check a convolution's arguments in torch's order of concerns and put them in canonical form."""
    weight = _args.numeric_array(fn, "weight", weight)
    n = _args.spatial_rank(fn, weight)
    if rank is not None and n != rank:
        raise ValueError(
            f"{fn}: weight must be {rank + 2}-D (C_out, C_in / groups, {', '.join('k' + a for a in _AXES[rank])}),"
            f" got {weight.ndim}-D weight of shape {weight.shape}"
        )
    x, was_batched = _args.batched(fn, _args.numeric_array(fn, "input", input), n)
    groups = _args.positive_int(fn, "groups", groups)
    c_in, c_out, kernel = x.shape[1], weight.shape[0], weight.shape[2:]
    if c_in % groups:
        raise ValueError(f"{fn}: in_channels ({c_in}) must be divisible by groups ({groups})")
    if c_out % groups:
        raise ValueError(f"{fn}: out_channels ({c_out}, weight.shape[0]) must be divisible by groups ({groups})")
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"{fn}: input has {c_in} channels but weight expects {weight.shape[1] * groups} "
            f"(weight.shape[1] * groups = {weight.shape[1]} * {groups})"
        )
    if 0 in kernel:
        raise ValueError(f"{fn}: kernel size must be positive, got weight of shape {weight.shape}")
    bias = _args.bias_vector(fn, bias, c_out)
    stride = _args.ntuple(fn, "stride", stride, n, minimum=1)
    dilation = _args.ntuple(fn, "dilation", dilation, n, minimum=1)
    pads = _args.padding_pairs(fn, padding, kernel, stride, dilation)
    axes = _AXES.get(n, tuple(f"axis {a}" for a in range(n)))
    out_size = tuple(
        output_size(fn, i, k, s, p, d, axis=a)
        for i, k, s, p, d, a in zip(x.shape[2:], kernel, stride, pads, dilation, axes, strict=True)
    )
    dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
    return ConvArgs(x, weight, bias, stride, pads, dilation, groups, out_size, was_batched, dtype)


def pad(x: np.ndarray, padding: tuple[tuple[int, int], ...], dtype=None) -> np.ndarray:
    """Zero-pad the spatial axes of ``x`` (N, C, *S): a new C-contiguous array of ``dtype``."""
    dtype = x.dtype if dtype is None else dtype
    padded = np.zeros(x.shape[:2] + tuple(i + b + a for i, (b, a) in zip(x.shape[2:], padding, strict=True)),
                      dtype=dtype)
    interior = (slice(None), slice(None)) + tuple(slice(b, b + i) for i, (b, _) in zip(x.shape[2:], padding,
                                                                                       strict=True))
    padded[interior] = x
    return padded


def _conv_forward(a: ConvArgs) -> np.ndarray:
    """The fast path: im2col (one copy of the input per kernel offset) and one batched matrix product.

    Every kernel offset ``t`` contributes ``weight[..., t] @ input shifted by t``;
    stacking the shifted inputs (the "columns") turns the sum over offsets
    into one matrix product with ``K = C_in / groups * prod(k)`` terms per
    output element.

    At stride 1 the shifted inputs are contiguous slices of the flattened,
    padded input: output element ``(o_1, ..., o_n)`` sits at flat position
    ``sum(o_a * S_a)`` (``S_a`` the padded input's flat strides), and offset
    ``t`` reads ``sum(t_a * d_a * S_a)`` further on. The products at the
    positions in between (the right-hand padding columns) are computed and
    dropped: a few percent more arithmetic for copies that run at memory speed.
    """
    x, weight, groups = a.x, a.weight, a.groups
    n_batch, c_in = x.shape[:2]
    c_out, kernel = weight.shape[0], weight.shape[2:]
    cg, og = c_in // groups, c_out // groups
    itemsize = np.dtype(a.dtype).itemsize
    xp = pad(x, a.padding, a.dtype)  # (N, C_in, *P)
    padded = xp.shape[2:]
    offsets = list(itertools.product(*(range(k) for k in kernel)))

    flat = all(s == 1 for s in a.stride)
    if flat:
        flat_strides = [int(np.prod(padded[ax + 1:])) for ax in range(len(padded))]  # S_a
        cols_size = (sum((o - 1) * s for o, s in zip(a.out_size, flat_strides, strict=True)) + 1,)
        xf = xp.reshape(n_batch, c_in, -1)  # (N, C_in, prod(P))
        starts = [sum(t * d * s for t, d, s in zip(off, a.dilation, flat_strides, strict=True))
                  for off in offsets]

        def shifted(batch: slice, k: int) -> np.ndarray:  # (n, C_in, length)
            return xf[batch, :, starts[k]:starts[k] + cols_size[0]]
    else:
        cols_size = a.out_size

        def shifted(batch: slice, k: int) -> np.ndarray:  # (n, C_in, *S_out)
            window = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                           for t, d, s, o in zip(offsets[k], a.dilation, a.stride, a.out_size, strict=True))
            return xp[(batch, slice(None)) + window]

    n_off, length = len(offsets), int(np.prod(cols_size))
    out = np.empty((n_batch, c_out) + a.out_size, dtype=a.dtype)
    depthwise = cg == 1 and groups > 1
    chunk = max(1, min(n_batch, WORKSPACE_BYTES // (n_off * c_in * length * itemsize)))
    if depthwise:
        w = weight.reshape(groups, og, n_off)  # (C_in, multiplier, K)
    else:
        # (G, C_out/G, K * C_in/G), offsets outermost to match the columns below
        w = weight.reshape(groups, og, cg, n_off).transpose(0, 1, 3, 2).reshape(groups, og, -1)
    for b0 in range(0, n_batch, chunk):
        batch = slice(b0, min(n_batch, b0 + chunk))
        nb = batch.stop - batch.start
        if depthwise:
            # A depthwise output has one term per offset: multiply-accumulate directly.
            acc = np.zeros((nb, groups, og) + cols_size, dtype=a.dtype)
            tmp = np.empty_like(acc)
            for k in range(n_off):
                src = shifted(batch, k).reshape((nb, groups, 1) + cols_size)
                np.multiply(src, w[:, :, k].reshape((1, groups, og) + (1,) * len(cols_size)), out=tmp)
                acc += tmp
            result = acc.reshape(nb, c_out, length)
        else:
            cols = np.empty((nb, groups, n_off, cg, length), dtype=a.dtype)  # the columns, (n, G, K, C_in/G, L)
            view = cols.reshape((nb, groups, n_off, cg) + cols_size)
            for k in range(n_off):
                view[:, :, k] = shifted(batch, k).reshape((nb, groups, cg) + cols_size)
            result = np.matmul(w, cols.reshape(nb, groups, -1, length)).reshape(nb, c_out, length)
        if flat:
            # Pick the output positions out of the flat result: element (o_1, ..., o_n) is at sum(o_a * S_a).
            result = as_strided(result, shape=(nb, c_out) + a.out_size,
                                strides=result.strides[:2] + tuple(s * itemsize for s in flat_strides),
                                writeable=False)
        out[batch] = result.reshape((nb, c_out) + a.out_size)
    if a.bias is not None:
        out += a.bias.reshape((c_out,) + (1,) * len(kernel))
    return out


def _finish(a: ConvArgs, out: np.ndarray) -> np.ndarray:
    return out if a.was_batched else out[0]


def convolve(fn, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, rank=None) -> np.ndarray:
    """The fast convolution, with errors that name ``fn``; the public functions are thin wrappers."""
    a = parse_conv_args(fn, input, weight, bias, stride, padding, dilation, groups, rank)
    return _finish(a, _conv_forward(a))


def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """N-dimensional convolution (cross-correlation, as in torch); the rank comes from ``weight``.

    Parameters
    ----------
    input : array, ``(N, C_in, *S_in)`` or ``(C_in, *S_in)``
    weight : array, ``(C_out, C_in / groups, *k)``
    bias : array ``(C_out,)``, optional
    stride, dilation : int or tuple of ints, positive
    padding : int, tuple of ints, ``"valid"`` or ``"same"``
        Zeros added on both sides of each spatial axis. ``"same"`` keeps the
        size (stride 1 only; an odd total puts the extra zero after).
    groups : int
        See the module's notes on groups.

    Returns
    -------
    array ``(N, C_out, *S_out)`` (unbatched in, unbatched out), of the
    promoted dtype of ``input`` and ``weight`` (float32 stays float32).
    ``S_out`` as in :func:`convlib.shapes.conv_output_size`.
    """
    return convolve("conv", input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """1D convolution, as ``torch.nn.functional.conv1d``: input ``(N, C_in, L)``, weight ``(C_out, C_in/g, k)``.

    See :func:`conv`. Section 2 of the course.
    """
    return convolve("conv1d", input, weight, bias, stride, padding, dilation, groups, rank=1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """2D convolution, as ``torch.nn.functional.conv2d``: input ``(N, C_in, H, W)``, weight ``(C_out, C_in/g, kH, kW)``.

    ``H_out = floor((H + 2p - d(kH - 1) - 1) / s) + 1``, likewise ``W_out``.
    See :func:`conv`. Section 2 of the course.
    """
    return convolve("conv2d", input, weight, bias, stride, padding, dilation, groups, rank=2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """3D convolution, as ``torch.nn.functional.conv3d``: input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/g, kD, kH, kW)``.

    The kernel slides along depth too. See :func:`conv`. Section 6 of the course.
    """
    return convolve("conv3d", input, weight, bias, stride, padding, dilation, groups, rank=3)


# --- The lecture's form: one output element is a window of the input times the kernel, summed.


class ConvElement(NamedTuple):
    """One output element and everything that produced it (section 2, "one output element").

    ``value == (window * kernel).sum() + bias``.
    """

    value: float
    window: np.ndarray  # (C_in / groups, *k): the input under the kernel, zeros where it lies in the padding
    kernel: np.ndarray  # (C_in / groups, *k): weight[c_out]
    channels: range  # the input channels this output channel sees (its group)
    positions: tuple[tuple[int, ...], ...]  # per spatial axis, the k input positions (outside [0, size): padding)
    bias: float


def _element(a: ConvArgs, x: np.ndarray, c_out: int, index: tuple[int, ...]) -> ConvElement:
    """The element ``(c_out, *index)`` of the convolution of one unbatched ``x`` (C_in, *S_in)."""
    cg = a.weight.shape[1]
    group = c_out // (a.weight.shape[0] // a.groups)
    channels = range(group * cg, (group + 1) * cg)
    kernel = a.weight[c_out]
    positions = tuple(kernel_positions(o, k, s, p[0], d) for o, k, s, p, d
                      in zip(index, kernel.shape[1:], a.stride, a.padding, a.dilation, strict=True))
    window = np.zeros(kernel.shape, dtype=a.dtype)
    inside = [[t for t, pos in enumerate(ps) if 0 <= pos < size] for ps, size in zip(positions, x.shape[1:],
                                                                                      strict=True)]
    window[np.ix_(range(cg), *inside)] = x[np.ix_(channels, *[[ps[t] for t in ts]
                                                              for ps, ts in zip(positions, inside, strict=True)])]
    bias = 0 if a.bias is None else a.bias[c_out]
    value = (window * kernel).sum(dtype=a.dtype) + bias
    return ConvElement(value.item(), window, kernel, channels, positions, np.asarray(bias).item())


def conv_element(input, weight, out_index, bias=None, stride=1, padding=0, dilation=1, groups=1) -> ConvElement:
    """Compute one output element of a convolution the lecture's way: window times kernel, summed.

    Parameters
    ----------
    input : array ``(C_in, *S_in)``, unbatched
    weight, bias, stride, padding, dilation, groups : as in :func:`conv`
    out_index : tuple ``(c_out, *o)``, a valid index of the output ``(C_out, *S_out)``

    Returns
    -------
    ConvElement
        The value with the window, kernel, channels and input positions that
        produced it.
    """
    fn = "conv_element"
    weight_array = _args.numeric_array(fn, "weight", weight)
    n = _args.spatial_rank(fn, weight_array)
    x = _args.numeric_array(fn, "input", input)
    if x.ndim != n + 1:
        raise ValueError(f"{fn}: input must be unbatched (C_in, *spatial) with {n + 1} dimensions, "
                         f"got shape {x.shape}")
    a = parse_conv_args(fn, x, weight_array, bias, stride, padding, dilation, groups)
    out_shape = (a.weight.shape[0],) + a.out_size
    if (not isinstance(out_index, (tuple, list)) or len(out_index) != len(out_shape)
            or not all(_args._is_int(i) and 0 <= i < size for i, size in zip(out_index, out_shape, strict=True))):
        raise ValueError(f"{fn}: out_index must be a tuple (c_out, *position) inside the output shape "
                         f"{out_shape}, got {out_index!r}")
    return _element(a, x, int(out_index[0]), tuple(int(i) for i in out_index[1:]))


def _naive(fn, input, weight, bias, stride, padding, dilation, groups, rank=None) -> np.ndarray:
    a = parse_conv_args(fn, input, weight, bias, stride, padding, dilation, groups, rank)
    out = np.empty((a.x.shape[0], a.weight.shape[0]) + a.out_size, dtype=a.dtype)
    for n, c_out in np.ndindex(out.shape[:2]):
        for index in np.ndindex(a.out_size):
            out[(n, c_out) + index] = _element(a, a.x[n], c_out, index).value
    return _finish(a, out)


def conv_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """:func:`conv` computed one output element at a time (:func:`conv_element`): slow and obvious."""
    return _naive("conv_naive", input, weight, bias, stride, padding, dilation, groups)


def conv1d_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """:func:`conv1d` one output element at a time; the oracle of the fast path."""
    return _naive("conv1d_naive", input, weight, bias, stride, padding, dilation, groups, rank=1)


def conv2d_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """:func:`conv2d` one output element at a time; the oracle of the fast path."""
    return _naive("conv2d_naive", input, weight, bias, stride, padding, dilation, groups, rank=2)


def conv3d_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """:func:`conv3d` one output element at a time; the oracle of the fast path."""
    return _naive("conv3d_naive", input, weight, bias, stride, padding, dilation, groups, rank=3)
