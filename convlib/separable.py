"""Depthwise separable convolution: a depthwise convolution, then a pointwise (1x1) one.

Taught in section 3 ("Depthwise separable convolution", MobileNet). For input
``W x H x C_I``, kernel ``K1 x K2`` and output ``W x H x C_O`` an ordinary
convolution costs ``K1 K2 C_I W H C_O`` multiplications; the depthwise step
costs ``K1 K2 C_I W H`` and the pointwise step ``C_I W H C_O`` (counted in
:mod:`convlib.counting`).
"""

from __future__ import annotations

import numpy as np

from . import _args
from .conv import convolve

__all__ = ["depthwise_conv", "depthwise_separable_conv", "pointwise_conv"]


def _check_depthwise_weight(fn: str, name: str, weight) -> np.ndarray:
    weight = _args.numeric_array(fn, name, weight)
    _args.spatial_rank(fn, weight)
    if weight.shape[1] != 1:
        raise ValueError(f"{fn}: {name} must have shape (C_in * multiplier, 1, *k), got {weight.shape}")
    return weight


def _channels(x: np.ndarray, weight: np.ndarray) -> int:
    """C_in of a batched or unbatched input; 1 where the rank is wrong (the convolution then says so)."""
    if x.ndim == weight.ndim:
        return max(x.shape[1], 1)
    return max(x.shape[0], 1) if x.ndim == weight.ndim - 1 else 1


def depthwise_conv(input, weight, bias=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Each input channel convolved with its own kernel(s): ``conv(..., groups=C_in)``.

    Shapes
    ------
    input ``(N, C_in, *S_in)`` or ``(C_in, *S_in)``; weight ``(C_in * m, 1, *k)``
    (``m`` kernels per channel, the depth multiplier) -> output
    ``(N, C_in * m, *S_out)``, ``S_out`` as in :func:`convlib.shapes.conv_output_size`.
    """
    fn = "depthwise_conv"
    weight = _check_depthwise_weight(fn, "weight", weight)
    x = _args.numeric_array(fn, "input", input)
    return convolve(fn, x, weight, bias, stride, padding, dilation, groups=_channels(x, weight))


def pointwise_conv(input, weight, bias=None) -> np.ndarray:
    """A 1x1 convolution: at every position, a matrix mixes the channels.

    Shapes
    ------
    input ``(N, C_in, *S)`` or ``(C_in, *S)``; weight ``(C_out, C_in, 1, ..., 1)``
    -> output ``(N, C_out, *S)``.
    """
    fn = "pointwise_conv"
    weight = _args.numeric_array(fn, "weight", weight)
    _args.spatial_rank(fn, weight)
    if any(k != 1 for k in weight.shape[2:]):
        raise ValueError(f"{fn}: weight must have shape (C_out, C_in, 1, ..., 1), got {weight.shape}")
    return convolve(fn, input, weight, bias)


def depthwise_separable_conv(input, depthwise_weight, pointwise_weight, depthwise_bias=None,
                             pointwise_bias=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Depthwise convolution followed by a pointwise one (MobileNet's building block, without the
    batch norm and ReLU between them).

    Shapes
    ------
    input ``(N, C_in, *S_in)``; depthwise_weight ``(C_in * m, 1, *k)``;
    pointwise_weight ``(C_out, C_in * m, 1, ..., 1)`` -> output ``(N, C_out, *S_out)``.
    """
    fn = "depthwise_separable_conv"
    depthwise_weight = _check_depthwise_weight(fn, "depthwise_weight", depthwise_weight)
    pointwise_weight = _args.numeric_array(fn, "pointwise_weight", pointwise_weight)
    ones = ", ".join(["1"] * (depthwise_weight.ndim - 2))
    if pointwise_weight.ndim != depthwise_weight.ndim or any(k != 1 for k in pointwise_weight.shape[2:]):
        raise ValueError(f"{fn}: pointwise_weight must have shape (C_out, C_in * m, {ones}), "
                         f"got {pointwise_weight.shape}")
    if pointwise_weight.shape[1] != depthwise_weight.shape[0]:
        raise ValueError(f"{fn}: pointwise_weight expects {pointwise_weight.shape[1]} input channels "
                         f"(pointwise_weight.shape[1]) but the depthwise step gives {depthwise_weight.shape[0]} "
                         f"(depthwise_weight.shape[0])")
    x = _args.numeric_array(fn, "input", input)
    depthwise = convolve(fn, x, depthwise_weight, depthwise_bias, stride, padding, dilation,
                         groups=_channels(x, depthwise_weight))
    return convolve(fn, depthwise, pointwise_weight, pointwise_bias)
