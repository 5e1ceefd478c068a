"""Output-size arithmetic: every shape formula of the course lives here, once.

Letters, as in torch: ``i`` input size, ``k`` kernel size, ``s`` stride,
``p`` zero padding on each side, ``d`` dilation, ``a`` output padding.

Taught in section 1 ("The convolution operation") and section 7 ("Transposed
convolution") of the course.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ._args import non_negative_int, ntuple, positive_int

__all__ = [
    "ZeroInsertion",
    "conv_output_size",
    "conv_remainder",
    "conv_transpose_output_size",
    "effective_kernel_size",
    "kernel_positions",
    "receptive_field",
    "receptive_fields",
    "same_padding",
    "zero_insertion_params",
]


def _axis_ints(fn: str, **values: int) -> list[int]:
    """Check the ints of one axis in the caller's name: ``i``, ``k``, ``stride``, ``dilation`` positive,
    ``padding``, ``output_padding`` non-negative."""
    check = {"padding": non_negative_int, "output_padding": non_negative_int}
    return [check.get(name, positive_int)(fn, name, value) for name, value in values.items()]


def effective_kernel_size(k: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``d * (k - 1) + 1``.

    A 3-tap kernel with dilation 2 covers 5 input elements, with zeros between
    its taps (section 4, "Dilated convolution").
    """
    k, dilation = _axis_ints("effective_kernel_size", k=k, dilation=dilation)
    return dilation * (k - 1) + 1


def conv_output_size(i: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output size of a convolution along one axis.

    ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1``

    With ``d = 1`` this is the lecture's ``o = (i + 2p - k) / s + 1``, rounded
    down where ``s`` does not divide ``i + 2p - k``.

    Raises
    ------
    ValueError
        If an argument is out of range, or the dilated kernel is larger than
        the padded input (the output would be empty).

    Examples
    --------
    >>> conv_output_size(5, 3, stride=2, padding=1)
    3
    """
    fn = "conv_output_size"
    i, k, stride, padding, dilation = _axis_ints(fn, i=i, k=k, stride=stride, padding=padding, dilation=dilation)
    return output_size(fn, i, k, stride, (padding, padding), dilation)


def output_size(fn: str, i: int, k: int, s: int, padding: tuple[int, int], d: int, axis: str = "") -> int:
    """:func:`conv_output_size` for validated ints and ``(before, after)`` padding.

    The one place the formula is written; ``fn`` and ``axis`` name the caller
    and the axis in the error message.
    """
    span = d * (k - 1) + 1
    padded = i + padding[0] + padding[1]
    if span > padded:
        what = f"kernel {k}" if d == 1 else f"dilated kernel {span} (kernel {k}, dilation {d})"
        where = f" along {axis}" if axis else ""
        raise ValueError(
            f"{fn}: {what} is larger than padded input {padded}{where} "
            f"(input {i}, padding {padding[0]}+{padding[1]})"
        )
    return (padded - span) // s + 1


def conv_remainder(i: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Input positions the last stride step leaves uncovered: ``(i + 2p - d(k - 1) - 1) mod s``.

    Convolutions of inputs ``i, i + 1, ..., i + a`` all give the same output
    size; the transposed convolution chooses among them with
    ``output_padding = a`` (Dumoulin & Visin, relationship 14).
    """
    fn = "conv_remainder"
    i, k, stride, padding, dilation = _axis_ints(fn, i=i, k=k, stride=stride, padding=padding, dilation=dilation)
    output_size(fn, i, k, stride, (padding, padding), dilation)  # raises where the output would be empty
    return (i + 2 * padding - dilation * (k - 1) - 1) % stride


def conv_transpose_output_size(
    i: int, k: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output size of a transposed convolution along one axis.

    ``o = (i - 1) s - 2p + d(k - 1) + a + 1``

    With ``d = 1`` and ``a = 0`` this is the lecture's ``o = (i - 1) s + k - 2p``.
    ``output_padding`` (``a``) must be smaller than ``stride`` or ``dilation``,
    as in torch.

    Raises
    ------
    ValueError
        If an argument is out of range or the output would be empty.

    Examples
    --------
    >>> conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    """
    fn = "conv_transpose_output_size"
    i, k, stride, padding, output_padding, dilation = _axis_ints(
        fn, i=i, k=k, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    return transpose_output_size(fn, i, k, stride, padding, output_padding, dilation)


def transpose_output_size(fn: str, i: int, k: int, s: int, p: int, a: int, d: int, axis: str = "") -> int:
    """:func:`conv_transpose_output_size` for validated ints: the one place the formula is written."""
    where = f" along {axis}" if axis else ""
    if a >= max(s, d):
        raise ValueError(
            f"{fn}: output_padding ({a}) must be smaller than stride ({s}) or dilation ({d}){where}"
        )
    o = (i - 1) * s - 2 * p + d * (k - 1) + a + 1
    if o < 1:
        raise ValueError(
            f"{fn}: output would be empty{where}: (i - 1) * stride - 2 * padding + dilation * (k - 1) "
            f"+ output_padding + 1 = ({i} - 1) * {s} - 2 * {p} + {d} * ({k} - 1) + {a} + 1 = {o}"
        )
    return o


def kernel_positions(index: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> tuple[int, ...]:
    """Positions on the larger side that the kernel's ``k`` taps meet, along one axis.

    ``index * s - p + t * d`` for ``t = 0, ..., k - 1``.

    For a convolution, ``index`` is an output position and these are the input
    positions of its window (section 2, "one output element"); for a
    transposed convolution, ``index`` is an input position and these are the
    output positions it scatters into (section 7). A position below 0 or at
    least the input size lies in the zero padding.

    Examples
    --------
    >>> kernel_positions(2, 3, stride=2, padding=1, dilation=2)
    (3, 5, 7)
    """
    fn = "kernel_positions"
    index = non_negative_int(fn, "index", index)
    k = positive_int(fn, "k", k)
    stride = positive_int(fn, "stride", stride)
    padding = non_negative_int(fn, "padding", padding)
    dilation = positive_int(fn, "dilation", dilation)
    start = index * stride - padding
    return tuple(start + t * dilation for t in range(k))


def same_padding(k: int, dilation: int = 1) -> tuple[int, int]:
    """Zeros ``(before, after)`` that keep the size unchanged at stride 1.

    The total is ``d(k - 1)``; when it is odd, torch puts the extra zero after.
    """
    k, dilation = _axis_ints("same_padding", k=k, dilation=dilation)
    total = dilation * (k - 1)
    return total // 2, total - total // 2


class ZeroInsertion(NamedTuple):
    """A transposed convolution written as an ordinary one (the lecture's z, p', s').

    Insert ``z`` zeros between neighbouring input elements, pad ``p_before``
    zeros before and ``p_after`` after, then convolve with stride ``s_prime``
    (always 1) and the flipped kernel. ``a`` is the output padding, added to
    the padding after.
    """

    z: int
    p_before: int
    p_after: int
    s_prime: int
    a: int
    output_size: int


def zero_insertion_params(
    i: int, k: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> ZeroInsertion:
    """The ordinary convolution equivalent to a transposed one along one axis.

    ``z = s - 1``, ``p' = d(k - 1) - p``, ``s' = 1``, padding after ``p' + a``
    (Dumoulin & Visin, "A guide to convolution arithmetic", relationships 12-14,
    with dilation). ``p'`` may be negative: then that many elements are cropped
    instead of padded.

    Examples
    --------
    >>> zero_insertion_params(3, 3, stride=2, padding=1, output_padding=1)
    ZeroInsertion(z=1, p_before=1, p_after=2, s_prime=1, a=1, output_size=6)
    """
    return zero_insertion("zero_insertion_params", *_axis_ints(
        "zero_insertion_params", i=i, k=k, stride=stride, padding=padding, output_padding=output_padding,
        dilation=dilation))


def zero_insertion(fn: str, i: int, k: int, s: int, p: int, a: int, d: int, axis: str = "") -> ZeroInsertion:
    """:func:`zero_insertion_params` for validated ints, errors named by ``fn``."""
    o = transpose_output_size(fn, i, k, s, p, a, d, axis)
    p_prime = d * (k - 1) - p
    return ZeroInsertion(z=s - 1, p_before=p_prime, p_after=p_prime + a, s_prime=1, a=a, output_size=o)


def _layer(index: int, layer) -> tuple[int, int, int]:
    fn = "receptive_field"
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "stride", "dilation"}
        if unknown or "kernel_size" not in layer:
            raise ValueError(
                f"{fn}: layers[{index}] must have 'kernel_size' and optionally 'stride', "
                f"'dilation', got keys {sorted(layer)}"
            )
        k, s, d = layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1)
    elif isinstance(layer, (tuple, list)) and 1 <= len(layer) <= 3:
        k, s, d = (*layer, 1, 1)[:3]
    else:
        raise ValueError(
            f"{fn}: layers[{index}] must be (kernel_size, stride, dilation) or a dict, got {layer!r}"
        )
    return (positive_int(fn, f"layers[{index}] kernel_size", k),
            positive_int(fn, f"layers[{index}] stride", s),
            positive_int(fn, f"layers[{index}] dilation", d))


def receptive_fields(layers: Sequence) -> list[int]:
    """Receptive field after each layer of a stack, along one axis.

    Each layer is ``(kernel_size, stride, dilation)`` (stride and dilation may
    be left out) or a dict with those keys. With ``j`` the distance in input
    elements between neighbouring outputs of the previous layer (``j_0 = 1``):

    ``r_l = r_{l-1} + d_l (k_l - 1) j_{l-1}``,  ``j_l = j_{l-1} s_l``,  ``r_0 = 1``.

    Examples
    --------
    Three 3x3 layers with dilations 1, 2, 4 see 15 inputs (section 4):

    >>> receptive_fields([(3, 1, 1), (3, 1, 2), (3, 1, 4)])
    [3, 7, 15]
    """
    r, j, out = 1, 1, []
    for index, layer in enumerate(layers):
        k, s, d = _layer(index, layer)
        r += d * (k - 1) * j
        j *= s
        out.append(r)
    return out


def receptive_field(layers: Sequence) -> int:
    """Receptive field of the last layer of a stack; see :func:`receptive_fields`.

    >>> receptive_field([(3, 2), (3, 2)])
    7
    """
    fields = receptive_fields(layers)
    return fields[-1] if fields else 1


def padding_pairs(fn: str, padding, kernel: tuple[int, ...], stride: tuple[int, ...],
                  dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """Zeros ``(before, after)`` on each spatial axis, from torch's ``padding`` argument.

    ``padding`` is an int, a tuple of ints (the same on both sides, as in
    torch), ``"valid"`` (no padding) or ``"same"`` (output size = input size;
    stride 1 only, as in torch).
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{fn}: padding='same' requires stride 1 (as in torch), got stride {stride}")
            return tuple(same_padding(k, d) for k, d in zip(kernel, dilation, strict=True))
        raise ValueError(f"{fn}: padding must be an int, a tuple of ints, 'same' or 'valid', got {padding!r}")
    return tuple((p, p) for p in ntuple(fn, "padding", padding, n, minimum=0))
