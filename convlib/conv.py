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

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _args
from ._parallel import cores, run_tiles
from .shapes import kernel_positions, output_size, padding_pairs

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

# A tile grows to as many rows as have columns under this many bytes (one
# group's), so that they are still in the core's cache when the product reads them.
TILE_BYTES = 2**20
# Below this much work (in multiply-adds, see _conv_forward) a convolution runs on
# the calling thread: the thread pool's start-up would cost more than it saves.
SERIAL_MULT_ADDS = 2**25
# One element copied into the columns costs about as long as this many multiply-adds
# (BLAS does ~75 G multiply-adds a second per core here, a strided copy ~10 G elements).
COPY_COST = 8
# Fewest columns in a tile: narrower products spend their time packing the weights
# (on the benchmark's conv2d shapes, 1-row bands took up to 1.7x as long as tiles of
# 1024 columns; wider tiles gained nothing more).
MIN_COLUMNS = 1024
# Tiles per core, at the least: more balance the cores' loads, fewer are wider.
TILES_PER_CORE = 2


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


def parse_conv_args(fn, input, weight, bias, stride, padding, dilation, groups, rank=None) -> ConvArgs:
    """Check a convolution's arguments in torch's order of concerns and put them in canonical form."""
    weight = _args.numeric_array(fn, "weight", weight)
    n = _args.weight_rank(fn, weight, rank, "C_out, C_in / groups")
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
    pads = padding_pairs(fn, padding, kernel, stride, dilation)
    axes = _args.axis_names(n)
    out_size = tuple(
        output_size(fn, i, k, s, p, d, axis=a)
        for i, k, s, p, d, a in zip(x.shape[2:], kernel, stride, pads, dilation, axes, strict=True)
    )
    dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
    return ConvArgs(x, weight, bias, stride, pads, dilation, groups, out_size, was_batched, dtype)


def pad(x: np.ndarray, padding: tuple[tuple[int, int], ...], dtype=None, parallel: bool = False) -> np.ndarray:
    """Zero-pad the spatial axes of ``x`` (N, C, *S): a new C-contiguous array of ``dtype``.

    With ``parallel``, images are copied on all cores (the zeros are the
    kernel's fresh pages, so they too are touched in parallel).
    """
    dtype = x.dtype if dtype is None else dtype
    padded = np.zeros(x.shape[:2] + tuple(i + b + a for i, (b, a) in zip(x.shape[2:], padding, strict=True)),
                      dtype=dtype)
    interior = (slice(None),) + tuple(slice(b, b + i) for i, (b, _) in zip(x.shape[2:], padding, strict=True))

    def copy(images) -> None:
        for n in images:
            padded[n][interior] = x[n]

    run_tiles(copy, range(x.shape[0]), parallel)
    return padded


def reshaped_view(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``array`` seen with another shape, never a copy (writes through it must land in ``array``)."""
    view = array.view()
    view.shape = shape  # raises where only a copy could have this shape
    return view


def _conv_forward(a: ConvArgs) -> np.ndarray:
    """The fast path: im2col on tiles, one matrix product per tile, tiles over all cores.

    Every kernel offset ``t`` contributes ``weight[..., t] @ (input shifted by t)``.
    Stacking the shifted inputs (the "columns", im2col) turns the sum over the
    ``K = prod(k)`` offsets into one matrix product with ``C_in / groups * K``
    terms per output element. The output is cut into tiles, a band of rows of
    one image or several whole small images, wide enough for BLAS to run near
    its peak (``MIN_COLUMNS``); a tile's columns are one strided view of the
    padded input (``windows`` below), copied in one call.
    """
    groups, stride, kernel = a.groups, a.stride, a.weight.shape[2:]
    n_batch, c_in = a.x.shape[:2]
    c_out = a.weight.shape[0]
    cg, og, n_off = c_in // groups, c_out // groups, int(np.prod(kernel))
    itemsize = np.dtype(a.dtype).itemsize
    rows, rest = a.out_size[0], a.out_size[1:]  # tiles are bands of rows along the first spatial axis
    row_length = int(np.prod(rest))  # columns per output row
    # the work, in multiply-adds: the products, and the copy into the columns
    work = n_batch * rows * row_length * n_off * (c_out * cg + COPY_COST * c_in)
    parallel = work >= SERIAL_MULT_ADDS
    xp = pad(a.x, a.padding, a.dtype, parallel)  # (N, C_in, *P)

    if parallel:
        # rows per band: MIN_COLUMNS wide, or more while one group's columns still fit in TILE_BYTES
        fits = max(TILE_BYTES // max(1, cg * n_off * row_length * itemsize), -(-MIN_COLUMNS // row_length))
        # and enough tiles to share among the cores
        bands = min(rows, max(-(-rows // fits), -(-TILES_PER_CORE * cores() // max(1, n_batch))))
        # small images: several in a tile, keeping enough tiles for the cores where the batch allows
        per_tile = max(1, min(-(-MIN_COLUMNS // (rows * row_length)), n_batch // (TILES_PER_CORE * cores())))
        per_tile = per_tile if bands == 1 else 1
    else:  # small work: whole images, and BLAS's own threads
        bands, per_tile = 1, max(1, n_batch)
    band = -(-rows // bands)  # the same height for every band
    tasks = [(slice(n, min(n_batch, n + per_tile)), r0, min(rows, r0 + band))
             for n in range(0, n_batch, per_tile) for r0 in range(0, rows, band)]

    image_strides = xp.strides[2:]

    def windows(images: slice, r0: int, r1: int) -> np.ndarray:
        """The input under every kernel offset for output rows r0:r1 of some images, as one strided view.

        Shape ``(C_in, *k, n, r1 - r0, *rest)``; element ``(c, *t, m, *o)`` is
        ``padded[m, c, *(o * s + t * d)]``: the lecture's window of output ``o``.
        """
        base = xp[images, :, r0 * stride[0]:]  # (n, C_in, *P) from the band's first input row
        return as_strided(base, shape=(c_in,) + kernel + (base.shape[0], r1 - r0) + rest, writeable=False,
                          strides=(base.strides[1],) + tuple(d * st for d, st in zip(a.dilation, image_strides,
                                                                                   strict=True))
                          + (base.strides[0],) + tuple(s * st for s, st in zip(stride, image_strides, strict=True)))

    out = np.empty((n_batch, c_out) + a.out_size, dtype=a.dtype)
    w = a.weight.reshape(groups, og, cg * n_off).astype(a.dtype, copy=False)  # (G, C_out/G, C_in/G * K)
    bias = None if a.bias is None else a.bias.reshape((c_out,) + (1,) * len(kernel))

    def work(share) -> None:
        most = per_tile * band * row_length
        cols = np.empty((groups, cg * n_off, most), dtype=a.dtype)  # (G, C_in/G * K, n * L)
        res = np.empty((groups, og, most), dtype=a.dtype) if per_tile > 1 else None
        for images, r0, r1 in share:
            n, size = images.stop - images.start, (r1 - r0) * row_length
            view = windows(images, r0, r1)
            np.copyto(reshaped_view(cols[..., :n * size], (groups, cg) + view.shape[1:]),
                      view.reshape((groups, cg) + view.shape[1:]))
            target = out[images, :, r0:r1]  # (n, C_out, r, *rest)
            # (G, C_out/G, C_in/G * K) @ (G, C_in/G * K, n * L): depthwise is G = C_in products of one row each
            if n == 1:  # a band of rows of one image is a (C_out, L) matrix of the output itself
                np.matmul(w, cols[..., :size], out=reshaped_view(target[0], (groups, og, size)))
            else:
                result = np.matmul(w, cols[..., :n * size], out=res[..., :n * size])
                target[...] = np.moveaxis(result.reshape((c_out, n, r1 - r0) + rest), 0, 1)
            if bias is not None:
                target += bias

    run_tiles(work, tasks, parallel)
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
    """3D convolution, as ``torch.nn.functional.conv3d``.

    Input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/g, kD, kH, kW)``.

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
    # per axis, the taps that land inside the input, and where; the others read the padding's zeros
    taps = [[t for t, pos in enumerate(ps) if 0 <= pos < size] for ps, size in zip(positions, x.shape[1:],
                                                                                    strict=True)]
    reads = [[ps[t] for t in ts] for ps, ts in zip(positions, taps, strict=True)]
    window = np.zeros(kernel.shape, dtype=a.dtype)
    window[np.ix_(range(cg), *taps)] = x[np.ix_(channels, *reads)]
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
            or not all(_args.is_int(i) and 0 <= i < size for i, size in zip(out_index, out_shape, strict=True))):
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
