"""Transposed convolution, three ways: scatter, zero insertion, and the fast path.

Taught in section 7 ("Transposed convolution"). A transposed convolution is
not the inverse of a convolution (deconvolution); it is its transpose, or
adjoint: where a convolution gathers a window of inputs into one output, the
transposed convolution scatters one input, times the kernel, into a window
of outputs. It makes outputs larger than inputs (decoders, GAN generators).

Shapes (torch's letters)
    input   ``(N, C_in, *S_in)`` or unbatched ``(C_in, *S_in)``
    weight  ``(C_in, C_out / groups, *k)`` (note: in and out swapped against conv)
    bias    ``(C_out,)``
    output  ``(N, C_out, *S_out)``, each ``S_out`` from
            :func:`convlib.shapes.conv_transpose_output_size`:
            ``(S_in - 1) s - 2p + d(k - 1) + a + 1``
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from . import _args
from ._parallel import run_tiles
from .conv import COPY_COST, SERIAL_MULT_ADDS, convolve
from .shapes import kernel_positions, transpose_output_size, zero_insertion

__all__ = [
    "conv_transpose",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose_naive",
    "conv_transpose_zero_insertion",
    "insert_zeros",
    "transposed_as_conv_weight",
    "zero_insert_and_pad",
]

class TransposeArgs(NamedTuple):
    """A transposed convolution's arguments, checked and in canonical form."""

    x: np.ndarray  # (N, C_in, *S_in)
    weight: np.ndarray  # (C_in, C_out / groups, *k)
    bias: np.ndarray | None
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    groups: int
    dilation: tuple[int, ...]
    out_size: tuple[int, ...]
    was_batched: bool
    dtype: np.dtype


def parse_transpose_args(fn, input, weight, bias, stride, padding, output_padding, groups, dilation,
                         rank=None) -> TransposeArgs:
    weight = _args.numeric_array(fn, "weight", weight)
    n = _args.weight_rank(fn, weight, rank, "C_in, C_out / groups")
    x, was_batched = _args.batched(fn, _args.numeric_array(fn, "input", input), n)
    groups = _args.positive_int(fn, "groups", groups)
    c_in = x.shape[1]
    if c_in % groups:
        raise ValueError(f"{fn}: in_channels ({c_in}) must be divisible by groups ({groups})")
    if weight.shape[0] != c_in:
        raise ValueError(f"{fn}: input has {c_in} channels but weight expects {weight.shape[0]} "
                         f"(weight.shape[0]; a transposed convolution's weight is (C_in, C_out / groups, *k))")
    if 0 in weight.shape[2:]:
        raise ValueError(f"{fn}: kernel size must be positive, got weight of shape {weight.shape}")
    bias = _args.bias_vector(fn, bias, weight.shape[1] * groups)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: padding must be an int or a tuple of ints (torch has no 'same' or 'valid' "
                         f"for transposed convolution), got {padding!r}")
    stride = _args.ntuple(fn, "stride", stride, n, minimum=1)
    padding = _args.ntuple(fn, "padding", padding, n, minimum=0)
    output_padding = _args.ntuple(fn, "output_padding", output_padding, n, minimum=0)
    dilation = _args.ntuple(fn, "dilation", dilation, n, minimum=1)
    axes = _args.axis_names(n)
    out_size = tuple(transpose_output_size(fn, *args) for args in zip(
        x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation, axes, strict=True))
    dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
    return TransposeArgs(x, weight, bias, stride, padding, output_padding, groups, dilation, out_size,
                         was_batched, dtype)


def _transpose_forward(a: TransposeArgs) -> np.ndarray:
    """The fast path: per image, one matrix product, then a scatter-add per kernel offset (col2im).

    The product ``weight^T @ input`` gives, for every input element, the
    kernel-sized patch it contributes; offset ``t`` of every patch lands at
    output positions ``j * s - p + t * d`` (:func:`convlib.shapes.kernel_positions`),
    a strided slice of the output, so each offset is one vectorised add of the
    inputs whose position falls inside the output. Images are spread over the cores.
    """
    x, weight, groups = a.x, a.weight, a.groups
    n_batch, c_in = x.shape[:2]
    kernel, og = weight.shape[2:], weight.shape[1]
    cg, c_out = c_in // groups, og * groups
    offsets = list(itertools.product(*(range(k) for k in kernel)))
    in_size = x.shape[2:]
    length = int(np.prod(in_size))
    w = weight.reshape(groups, cg, og * len(offsets)).transpose(0, 2, 1).astype(a.dtype)  # (G, C_out/G * K, C_in/G)

    def landing(t: int, i: int, s: int, p: int, d: int, o: int) -> tuple[slice, slice]:
        """Along one axis, for kernel tap t: the inputs j whose j * s - p + t * d lies in [0, o), and where."""
        first = max(0, -(-(p - t * d) // s))  # smallest j landing at or after 0
        last = min(i - 1, (o - 1 + p - t * d) // s)  # largest j landing before o
        if last < first:
            return slice(0, 0), slice(0, 0)
        start = first * s - p + t * d
        return slice(first, last + 1), slice(start, start + (last - first) * s + 1, s)

    scatter = []  # per offset: (which inputs, where they land)
    for off in offsets:
        axes = [landing(t, i, s, p, d, o) for t, i, s, p, d, o
                in zip(off, in_size, a.stride, a.padding, a.dilation, a.out_size, strict=True)]
        scatter.append((tuple(src for src, _ in axes), tuple(dst for _, dst in axes)))
    out = np.empty((n_batch, c_out) + a.out_size, dtype=a.dtype)
    start_value = 0 if a.bias is None else a.bias.reshape((c_out,) + (1,) * len(kernel))

    def work(images) -> None:
        patches = np.empty((groups, og * len(offsets), length), dtype=a.dtype)
        for n in images:
            xg = x[n].reshape(groups, cg, length).astype(a.dtype, copy=False)  # (G, C_in/G, L_in)
            np.matmul(w, xg, out=patches)
            spread = patches.reshape((c_out, len(offsets)) + in_size)  # (C_out, K, *S_in)
            target = out[n]
            target[...] = start_value  # the bias, or zeros
            for k, (src, dst) in enumerate(scatter):
                target[(slice(None),) + dst] += spread[(slice(None), k) + src]

    # as in conv: small work stays on the calling thread (the scatter's adds count like copies)
    work_size = n_batch * length * len(offsets) * c_out * (cg + COPY_COST)
    run_tiles(work, range(n_batch), work_size >= SERIAL_MULT_ADDS)
    return out


def _finish(a: TransposeArgs, out: np.ndarray) -> np.ndarray:
    return out if a.was_batched else out[0]


def _transpose(fn, input, weight, bias, stride, padding, output_padding, groups, dilation, rank=None):
    a = parse_transpose_args(fn, input, weight, bias, stride, padding, output_padding, groups, dilation, rank)
    return _finish(a, _transpose_forward(a))


def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1) -> np.ndarray:
    """N-dimensional transposed convolution; the rank comes from ``weight``.

    Parameters
    ----------
    input : array ``(N, C_in, *S_in)`` or ``(C_in, *S_in)``
    weight : array ``(C_in, C_out / groups, *k)``
    bias : array ``(C_out,)``, optional
    stride, dilation : int or tuple of ints, positive
    padding : int or tuple of ints
        Crops ``padding`` elements from each side of the full output (it
        undoes the padding of the convolution this one transposes).
    output_padding : int or tuple of ints
        Adds ``a`` elements at the far end of each axis, ``a < max(stride, dilation)``:
        it picks which of the input sizes that a stride-``s`` convolution maps
        to the same output size this transposed convolution returns.
    groups : int

    Returns
    -------
    array ``(N, C_out, *S_out)``, ``S_out`` as in
    :func:`convlib.shapes.conv_transpose_output_size`.
    """
    return _transpose("conv_transpose", input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> np.ndarray:
    """As ``torch.nn.functional.conv_transpose1d``: input ``(N, C_in, L)``, weight ``(C_in, C_out/g, k)``."""
    return _transpose("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                      dilation, rank=1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> np.ndarray:
    """As ``torch.nn.functional.conv_transpose2d``: input ``(N, C_in, H, W)``, weight ``(C_in, C_out/g, kH, kW)``.

    ``H_out = (H - 1) s - 2p + d(kH - 1) + a + 1``, likewise ``W_out``; with
    ``d = 1, a = 0`` the lecture's ``o = (i - 1) s + k - 2p``.
    """
    return _transpose("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                      dilation, rank=2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> np.ndarray:
    """As ``torch.nn.functional.conv_transpose3d``.

    Input ``(N, C_in, D, H, W)``, weight ``(C_in, C_out/g, kD, kH, kW)``.
    """
    return _transpose("conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups,
                      dilation, rank=3)


def conv_transpose_naive(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1) -> np.ndarray:
    """The scatter form, one input element at a time: slow and obvious.

    Input element ``j`` of channel ``c`` adds ``input[c, j] * weight[c]`` to
    the output positions :func:`convlib.shapes.kernel_positions` gives
    (``j * s - p + t * d``); positions outside the output are dropped.
    """
    a = parse_transpose_args("conv_transpose_naive", input, weight, bias, stride, padding, output_padding,
                             groups, dilation)
    og = a.weight.shape[1]
    cg = a.x.shape[1] // a.groups
    out = np.zeros((a.x.shape[0], og * a.groups) + a.out_size, dtype=a.dtype)
    for n, c in np.ndindex(a.x.shape[:2]):
        out_channels = slice(c // cg * og, (c // cg + 1) * og)  # the output group of input channel c
        for j in np.ndindex(a.x.shape[2:]):
            positions = [kernel_positions(i, k, s, p, d) for i, k, s, p, d
                         in zip(j, a.weight.shape[2:], a.stride, a.padding, a.dilation, strict=True)]
            taps = [[t for t, pos in enumerate(ps) if 0 <= pos < o] for ps, o in zip(positions, a.out_size,
                                                                                     strict=True)]
            targets = [[ps[t] for t in ts] for ps, ts in zip(positions, taps, strict=True)]
            out[n, out_channels][np.ix_(range(og), *targets)] += (
                a.x[(n, c) + j] * a.weight[c][np.ix_(range(og), *taps)])
    if a.bias is not None:
        out += a.bias.reshape((-1,) + (1,) * len(a.out_size))
    return _finish(a, out)


def insert_zeros(input, z) -> np.ndarray:
    """Put ``z`` zeros between neighbouring elements: the lecture's first step of a transposed convolution.

    ``z`` an int: along every axis of ``input``; a tuple: along the last
    ``len(z)`` axes (use it for ``(N, C, *S)`` arrays). An axis of size ``i``
    becomes ``(i - 1)(z + 1) + 1``.

    Examples
    --------
    >>> insert_zeros(np.array([1, 2, 3]), 1)
    array([1, 0, 2, 0, 3])
    """
    fn = "insert_zeros"
    x = _args.numeric_array(fn, "input", input)
    if _args.is_int(z):
        z = _args.ntuple(fn, "z", z, x.ndim, minimum=0)
    else:
        if not isinstance(z, (tuple, list)) or len(z) > x.ndim:
            raise ValueError(f"{fn}: z must be an int or a tuple of at most input.ndim ({x.ndim}) ints, "
                             f"got {z!r}")
        z = _args.ntuple(fn, "z", z, len(z), minimum=0)
    lead = x.ndim - len(z)
    if any(x.shape[lead + ax] == 0 for ax in range(len(z))):
        raise ValueError(f"{fn}: input must not be empty along the axes zeros go into, got shape {x.shape}")
    shape = x.shape[:lead] + tuple((i - 1) * (zz + 1) + 1 for i, zz in zip(x.shape[lead:], z, strict=True))
    out = np.zeros(shape, dtype=x.dtype)
    out[(slice(None),) * lead + tuple(slice(None, None, zz + 1) for zz in z)] = x
    return out


def zero_insert_and_pad(input, kernel_size, stride=1, padding=0, output_padding=0, dilation=1) -> np.ndarray:
    """The input of the ordinary convolution that equals a transposed one (the lecture's z, p', s').

    Along each spatial axis: insert ``z = s - 1`` zeros between elements, then
    pad ``p' = d(k - 1) - p`` zeros before and ``p' + a`` after (a negative
    ``p'`` crops instead); see :func:`convlib.shapes.zero_insertion_params`.
    Convolving the result with stride ``s' = 1``, dilation ``d`` and the
    flipped, channel-swapped kernel gives the transposed convolution
    (:func:`conv_transpose_zero_insertion`).

    Shapes
    ------
    ``kernel_size`` a tuple of ``n`` ints works on the last ``n`` axes of
    ``input`` (``(N, C, *S)`` or ``(C, *S)``); an int means every axis after
    the first (an unbatched ``(C, *S)``). Each axis becomes
    ``(i - 1) s + 1 + p_before + p_after``, the size that the stride-1
    convolution then shrinks to :func:`convlib.shapes.conv_transpose_output_size`.
    """
    fn = "zero_insert_and_pad"
    x = _args.numeric_array(fn, "input", input)
    n = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else x.ndim - 1
    if n < 1 or x.ndim < n + 1:
        raise ValueError(f"{fn}: input must have a channel axis and {n} spatial axes, got shape {x.shape}")
    kernel = _args.ntuple(fn, "kernel_size", kernel_size, n, minimum=1)
    stride = _args.ntuple(fn, "stride", stride, n, minimum=1)
    padding = _args.ntuple(fn, "padding", padding, n, minimum=0)
    output_padding = _args.ntuple(fn, "output_padding", output_padding, n, minimum=0)
    dilation = _args.ntuple(fn, "dilation", dilation, n, minimum=1)
    lead = x.ndim - n
    axes = _args.axis_names(n)
    params = [zero_insertion(fn, *args) for args in zip(x.shape[lead:], kernel, stride, padding, output_padding,
                                                        dilation, axes, strict=True)]
    stretched = insert_zeros(x, tuple(p.z for p in params))
    # Pad where p' >= 0; crop where p' < 0 (padding larger than d(k - 1)).
    padded = np.pad(stretched, [(0, 0)] * lead + [(max(p.p_before, 0), max(p.p_after, 0)) for p in params])
    crop = tuple(slice(max(-p.p_before, 0), padded.shape[lead + ax] - max(-p.p_after, 0))
                 for ax, p in enumerate(params))
    return padded[(slice(None),) * lead + crop]


def transposed_as_conv_weight(weight, groups: int = 1) -> np.ndarray:
    """The kernel of the ordinary convolution that equals a transposed one: flipped along every spatial
    axis, its in and out channels swapped within each group.

    Shapes
    ------
    weight ``(C_in, C_out / groups, *k)`` (a transposed convolution's) -> ``(C_out, C_in / groups, *k)``
    (an ordinary convolution's).
    """
    fn = "transposed_as_conv_weight"
    weight = _args.numeric_array(fn, "weight", weight)
    _args.spatial_rank(fn, weight)
    groups = _args.positive_int(fn, "groups", groups)
    c_in, og, kernel = weight.shape[0], weight.shape[1], weight.shape[2:]
    if c_in % groups:
        raise ValueError(f"{fn}: in_channels ({c_in}, weight.shape[0]) must be divisible by groups ({groups})")
    swapped = (weight.reshape((groups, c_in // groups, og) + kernel)
               .swapaxes(1, 2)  # (G, C_out/G, C_in/G, *k)
               .reshape((groups * og, c_in // groups) + kernel))
    return np.ascontiguousarray(swapped[(slice(None), slice(None)) + (slice(None, None, -1),) * len(kernel)])


def conv_transpose_zero_insertion(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                                  dilation=1) -> np.ndarray:
    """A transposed convolution computed as the lecture draws it: an ordinary convolution of the
    zero-inserted, padded input (:func:`zero_insert_and_pad`) with stride 1 and the kernel flipped
    along every spatial axis, its in and out channels swapped (:func:`transposed_as_conv_weight`).
    """
    fn = "conv_transpose_zero_insertion"
    a = parse_transpose_args(fn, input, weight, bias, stride, padding, output_padding, groups, dilation)
    spread = zero_insert_and_pad(a.x, a.weight.shape[2:], a.stride, a.padding, a.output_padding, a.dilation)
    out = convolve(fn, spread, transposed_as_conv_weight(a.weight, a.groups), a.bias, stride=1, padding=0,
                   dilation=a.dilation, groups=a.groups)
    return _finish(a, out)
