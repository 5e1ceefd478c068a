"""Argument checks shared by every public function.

Each check raises at the top of the calling function, before any work, with a
message that names the function, the argument, the value and the rule, e.g.
``conv2d: stride must be a positive int or a tuple of 2 positive ints, got 0``.
"""

from __future__ import annotations

import numbers

import numpy as np


def is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def ntuple(fn: str, name: str, value, n: int, *, minimum: int) -> tuple[int, ...]:
    """``value`` as a tuple of ``n`` ints, each at least ``minimum``.

    Accepts an int (repeated ``n`` times) or a sequence of exactly ``n`` ints,
    as torch does for ``stride``, ``padding``, ``dilation`` and ``output_padding``.
    """
    rule = "positive" if minimum == 1 else "non-negative"
    if is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise ValueError(
            f"{fn}: {name} must be a {rule} int or a tuple of {n} {rule} ints, got {value!r}"
        )
    if any(v < minimum for v in values):
        raise ValueError(f"{fn}: {name} must be {rule} (>= {minimum}), got {value!r}")
    return values


def positive_int(fn: str, name: str, value) -> int:
    if not is_int(value) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive int, got {value!r}")
    return int(value)


def non_negative_int(fn: str, name: str, value) -> int:
    if not is_int(value) or value < 0:
        raise ValueError(f"{fn}: {name} must be a non-negative int, got {value!r}")
    return int(value)


def numeric_array(fn: str, name: str, value) -> np.ndarray:
    """``value`` as a numpy array of a real numeric dtype (bool and object refused)."""
    array = np.asarray(value)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(
            f"{fn}: {name} must be a numeric (integer or floating) array, got dtype {array.dtype}"
        )
    return array


_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_names(n: int) -> tuple[str, ...]:
    """torch's letters for ``n`` spatial axes (``L``; ``H, W``; ``D, H, W``), for messages."""
    return _AXES.get(n, tuple(f"axis {a}" for a in range(n)))


def spatial_rank(fn: str, weight: np.ndarray) -> int:
    """Number of spatial axes, read from the weight: ``weight.ndim - 2``."""
    if weight.ndim < 3:
        raise ValueError(
            f"{fn}: weight must have at least 3 dimensions (out, in, *kernel), got shape {weight.shape}"
        )
    return weight.ndim - 2


def weight_rank(fn: str, weight: np.ndarray, rank: int | None, channels: str) -> int:
    """Spatial rank of ``weight``, checked against ``rank`` where the function fixes it (conv2d: 2)."""
    n = spatial_rank(fn, weight)
    if rank is not None and n != rank:
        kernel = ", ".join("k" + a for a in axis_names(rank))
        raise ValueError(f"{fn}: weight must be {rank + 2}-D ({channels}, {kernel}), "
                         f"got {weight.ndim}-D weight of shape {weight.shape}")
    return n


def batched(fn: str, input: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """``input`` with a batch axis, and whether it had one (torch accepts both)."""
    if input.ndim == n + 2:
        return input, True
    if input.ndim == n + 1:
        return input[None], False
    letters = ", ".join(axis_names(n))
    raise ValueError(
        f"{fn}: input must be {n + 1}-D (C_in, {letters}) or {n + 2}-D (N, C_in, {letters}), "
        f"got {input.ndim}-D input of shape {input.shape}"
    )


def bias_vector(fn: str, bias, out_channels: int) -> np.ndarray | None:
    if bias is None:
        return None
    bias = numeric_array(fn, "bias", bias)
    if bias.shape != (out_channels,):
        raise ValueError(
            f"{fn}: bias must have shape ({out_channels},) (one value per output channel), got {bias.shape}"
        )
    return bias
