"""Dilated convolution as an ordinary one: the kernel with zeros between its taps.

Taught in section 4 ("Dilated convolution"): dilation ``d`` spreads a
``k``-tap kernel over ``d(k - 1) + 1`` input elements without adding
parameters or multiplications.
"""

from __future__ import annotations

import numpy as np

from . import _args

__all__ = ["dilate_kernel"]


def dilate_kernel(weight, dilation) -> np.ndarray:
    """Insert ``d - 1`` zeros between neighbouring taps along each spatial axis.

    ``conv(x, dilate_kernel(w, d))`` equals ``conv(x, w, dilation=d)``: the
    dilated convolution is an ordinary one with a sparse kernel.

    Shapes
    ------
    weight ``(C_out, C_in / groups, *k)`` -> ``(C_out, C_in / groups, *(d(k - 1) + 1))``

    Examples
    --------
    >>> dilate_kernel(np.array([[[1, 2, 3]]]), 2)
    array([[[1, 0, 2, 0, 3]]])
    """
    fn = "dilate_kernel"
    weight = _args.numeric_array(fn, "weight", weight)
    n = _args.spatial_rank(fn, weight)
    dilation = _args.ntuple(fn, "dilation", dilation, n, minimum=1)
    kernel = weight.shape[2:]
    out = np.zeros(weight.shape[:2] + tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)),
                   dtype=weight.dtype)
    out[(slice(None), slice(None)) + tuple(slice(None, None, d) for d in dilation)] = weight
    return out
