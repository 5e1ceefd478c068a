"""Convolution as a matrix, and transposed convolution as its transpose.

Taught in section 7 ("Transposed convolution"): a convolution is linear, so on
a flattened input it is a matrix ``C`` (mostly zeros: each row holds the kernel
where its window lies). ``C^T`` maps the output space back to the input space:
that is the transposed convolution, hence its name.
"""

from __future__ import annotations

import numpy as np

from . import _args
from .conv import parse_conv_args
from .shapes import kernel_positions

__all__ = ["conv_matrix"]


def conv_matrix(input_shape, weight, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """The matrix ``C`` with ``conv(x, weight, ...).ravel() == C @ x.ravel()``.

    Row ``(c_out, *o)`` holds ``weight[c_out]`` at the columns of its window
    (the input positions :func:`convlib.shapes.kernel_positions` gives, less
    those in the zero padding). For the transposed convolution with the same
    arguments, ``conv_transpose(y, weight, ..., output_padding=a).ravel() ==
    C.T @ y.ravel()`` where ``a`` is :func:`convlib.shapes.conv_remainder` on
    each axis.

    Shapes
    ------
    input_shape ``(C_in, *S_in)`` (one unbatched input); weight
    ``(C_out, C_in / groups, *k)`` -> ``C`` of shape
    ``(C_out * prod(S_out), C_in * prod(S_in))``. Meant for small sizes: it
    has ``prod(k) * C_in / groups`` nonzeros per row but stores every zero.
    """
    fn = "conv_matrix"
    if not isinstance(input_shape, (tuple, list)) or not all(_args.is_int(i) and i > 0 for i in input_shape):
        raise ValueError(f"{fn}: input_shape must be a tuple of positive ints (C_in, *S_in), got {input_shape!r}")
    weight = _args.numeric_array(fn, "weight", weight)
    probe = np.broadcast_to(np.zeros((), dtype=weight.dtype), tuple(input_shape))  # shape only, no memory
    a = parse_conv_args(fn, probe, weight, None, stride, padding, dilation, groups)
    if a.was_batched:
        raise ValueError(f"{fn}: input_shape must be unbatched (C_in, *S_in), got {tuple(input_shape)}")
    c_out, cg = weight.shape[:2]
    og = c_out // a.groups
    in_spatial, kernel = tuple(input_shape[1:]), weight.shape[2:]
    matrix = np.zeros((c_out, *a.out_size, input_shape[0], *in_spatial), dtype=weight.dtype)
    for o in np.ndindex(a.out_size):
        positions = [kernel_positions(i, k, s, p[0], d) for i, k, s, p, d
                     in zip(o, kernel, a.stride, a.padding, a.dilation, strict=True)]
        taps = [[t for t, pos in enumerate(ps) if 0 <= pos < size] for ps, size in zip(positions, in_spatial,
                                                                                      strict=True)]
        columns = [[ps[t] for t in ts] for ps, ts in zip(positions, taps, strict=True)]
        for g in range(a.groups):
            outs, ins = range(g * og, (g + 1) * og), range(g * cg, (g + 1) * cg)
            # the row block of output channels in group g at position o, over its window's columns
            rows = matrix[(slice(g * og, (g + 1) * og),) + o]  # (C_out/G, C_in, *S_in)
            rows[np.ix_(range(og), ins, *columns)] = weight[np.ix_(outs, range(cg), *taps)]
    return matrix.reshape(c_out * int(np.prod(a.out_size)), -1)
