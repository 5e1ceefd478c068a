"""Torch as the oracle: run one op in convlib and in ``torch.nn.functional``, compare; check both raise.

Also the hypothesis strategies that build the configurations the oracle is run on. They
build only valid configurations (kernel, stride, dilation and padding first, then an
input just large enough, groups dividing both channel counts), so no example is thrown
away and shrinking stays fast. Array values come from a drawn seed rather than from
hypothesis itself: the values are not where the bugs hide, the shapes are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

import convlib

# float64 on both sides: the only differences left are the order of summation.
RTOL = 1e-10
ATOL = 1e-10

# What torch raises on bad input; it is not ours to say which one.
TORCH_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)


# ----------------------------------------------------------------------------- comparing


def to_torch(value):
    """numpy arrays become tensors (sharing dtype); everything else passes through."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    return value


def assert_close(got, expected, *, rtol=RTOL, atol=ATOL, err_msg=""):
    """``got`` is a numpy array with ``expected``'s shape and dtype and its values.

    ``atol`` is scaled by the largest expected magnitude, so sums of many terms of size
    one are held to the same relative standard as single terms.
    """
    assert isinstance(got, np.ndarray), f"expected a numpy array, got {type(got).__name__}"
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"shape {got.shape} != expected {expected.shape}. {err_msg}"
    assert got.dtype == expected.dtype, f"dtype {got.dtype} != expected {expected.dtype}. {err_msg}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol * scale, err_msg=err_msg)


def torch_op(name, *args, **kwargs) -> np.ndarray:
    """``torch.nn.functional.<name>`` on numpy arguments, result back as numpy."""
    out = getattr(F, name)(*map(to_torch, args), **{k: to_torch(v) for k, v in kwargs.items()})
    return out.numpy()


def same_as_torch(name, *args, ours=None, rtol=RTOL, atol=ATOL, **kwargs) -> np.ndarray:
    """Run ``name`` in convlib (or ``ours``) and in torch on the same arguments; they must agree.

    Returns convlib's result for further checks.
    """
    ours = getattr(convlib, name) if ours is None else ours
    expected = torch_op(name, *args, **kwargs)
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = ours(*args, **kwargs)
    assert_close(got, expected, rtol=rtol, atol=atol, err_msg=f"{name}({describe(args, kwargs)})")
    for a, b in zip(args, before, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f"{name} changed its input in place")
    return got


def both_raise(name, *args, match, error=ValueError, ours=None, **kwargs):
    """convlib raises ``error`` matching ``match``, and torch rejects the same call too."""
    ours = getattr(convlib, name) if ours is None else ours
    with pytest.raises(error, match=match):
        ours(*args, **kwargs)
    with pytest.raises(TORCH_ERRORS):
        torch_op(name, *args, **kwargs)


def torch_mult_adds(model, input_size) -> int:
    """torch's own count of ``model``'s multiply-adds: its FLOP counter on the meta device, halved.

    ``torch.utils.flop_counter`` counts a multiply-add as 2 FLOPs and reads the operators
    torch runs, not convlib's hooks: an independent derivation of ``count_mult_adds``.
    Moves ``model`` to the meta device (pass a copy of a model that must keep its weights).
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.to("meta")(torch.zeros(input_size, device="meta"))
    flops = counter.get_total_flops()
    assert flops % 2 == 0, f"torch counted {flops} FLOPs: not a whole number of multiply-adds"
    return flops // 2


def message(fn: str, *parts) -> str:
    """A regex for an error message that starts with ``fn:`` and mentions every part, in any order.

    A ``str`` part is matched literally (as a whole word where it starts or ends with a
    word character), an ``int`` as a number not embedded in a longer one, a compiled
    pattern as itself.
    """
    looks = []
    for part in parts:
        if isinstance(part, re.Pattern):
            looks.append(f"(?:{part.pattern})")
        elif isinstance(part, int):
            looks.append(rf"(?<![\d.]){part}(?![\d.])")
        else:
            text = re.escape(part)
            before = r"(?<!\w)" if re.match(r"\w", part) else ""
            after = r"(?!\w)" if re.search(r"\w$", part) else ""
            looks.append(before + text + after)
    return "(?s)^" + re.escape(fn) + ":" + "".join(f"(?=.*?{look})" for look in looks)


def describe(args, kwargs) -> str:
    """Shapes instead of values, for failure messages."""
    shown = [f"array{a.shape}" if isinstance(a, np.ndarray) else repr(a) for a in args]
    shown += [f"{k}=array{v.shape}" if isinstance(v, np.ndarray) else f"{k}={v!r}" for k, v in kwargs.items()]
    return ", ".join(shown)


# ----------------------------------------------------------------------------- configurations


@dataclass
class Case:
    """One call: ``fn(input, weight, bias, **kwargs)``; ``ndim`` spatial axes."""

    input: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    kwargs: dict = field(default_factory=dict)
    ndim: int = 2

    @property
    def args(self):
        return (self.input, self.weight, self.bias)

    @property
    def batched(self) -> bool:
        return self.input.ndim == self.ndim + 2

    def __repr__(self):
        return f"Case({describe(self.args, self.kwargs)})"


def random_arrays(seed, *shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _per_axis(draw, n, lo, hi):
    """An int or an n-tuple drawn from [lo, hi]; returns (as passed, as a tuple)."""
    if draw(st.booleans()):
        v = draw(st.integers(lo, hi))
        return v, (v,) * n
    values = tuple(draw(st.integers(lo, hi)) for _ in range(n))
    return values, values


# Per number of spatial axes: largest kernel, dilation, stride, padding and extra input size.
# 3D is kept small: the naive loops visit every output element.
LIMITS = {1: (5, 3, 3, 3, 4), 2: (4, 3, 3, 2, 3), 3: (3, 2, 2, 1, 2)}


@st.composite
def channels(draw, depthwise=None, max_groups=3):
    """(C_in, C_out, groups) with groups dividing both; ``depthwise`` forces groups == C_in."""
    groups = draw(st.integers(1, max_groups))
    if depthwise is None:
        depthwise = draw(st.booleans())
    per_group_in = 1 if depthwise else draw(st.integers(1, 3))
    per_group_out = draw(st.integers(1, 3))
    return groups * per_group_in, groups * per_group_out, groups


@st.composite
def conv_cases(draw, ndims=(1, 2, 3), paddings=("int", "tuple", "same", "valid"),
               dtype=np.float64, batched=None, depthwise=None, bias=None):
    """A valid call of conv1d/2d/3d: torch accepts it and the output is not empty."""
    n = draw(st.sampled_from(ndims))
    kmax, dmax, smax, pmax, extra = LIMITS[n]
    k = tuple(draw(st.integers(1, kmax)) for _ in range(n))
    dilation, d = _per_axis(draw, n, 1, dmax)
    mode = draw(st.sampled_from(paddings))
    if mode == "same":
        stride, s = _per_axis(draw, n, 1, 1)  # torch: 'same' only at stride 1
    else:
        stride, s = _per_axis(draw, n, 1, smax)
    if mode == "int":
        padding = draw(st.integers(0, pmax))
        total = (2 * padding,) * n
    elif mode == "tuple":
        padding = tuple(draw(st.integers(0, pmax)) for _ in range(n))
        total = tuple(2 * p for p in padding)
    else:
        padding = mode
        total = tuple(dd * (kk - 1) for kk, dd in zip(k, d, strict=True)) if mode == "same" else (0,) * n
    span = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True))
    size = tuple(max(1, sp - t) + draw(st.integers(0, extra)) for sp, t in zip(span, total, strict=True))
    c_in, c_out, groups = draw(channels(depthwise=depthwise))
    if batched is None:
        batched = draw(st.booleans())
    lead = (draw(st.integers(1, 2)), c_in) if batched else (c_in,)
    with_bias = draw(st.booleans()) if bias is None else bias
    seed = draw(st.integers(0, 2**32 - 1))
    x, w, b = random_arrays(seed, lead + size, (c_out, c_in // groups) + k, (c_out,), dtype=dtype)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return Case(x, w, b if with_bias else None, kwargs, n)


@st.composite
def conv_transpose_cases(draw, ndims=(1, 2, 3), dtype=np.float64, batched=None):
    """A valid call of conv_transpose1d/2d/3d: output_padding < max(stride, dilation) on each
    axis, and padding small enough that the output is not empty (it may exceed d(k - 1),
    which crops)."""
    n = draw(st.sampled_from(ndims))
    kmax, dmax, smax, pmax, extra = LIMITS[n]
    k = tuple(draw(st.integers(1, kmax)) for _ in range(n))
    dilation, d = _per_axis(draw, n, 1, dmax)
    stride, s = _per_axis(draw, n, 1, smax)
    size = tuple(draw(st.integers(1, 1 + extra)) for _ in range(n))
    a = tuple(draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True))
    # 2p may use up the whole uncropped output but one element: (i - 1)s + d(k - 1) + a + 1 - 2p >= 1
    room = [((i - 1) * ss + dd * (kk - 1) + aa) // 2
            for i, ss, dd, kk, aa in zip(size, s, d, k, a, strict=True)]
    if draw(st.booleans()):
        padding = draw(st.integers(0, min(pmax + 1, *room)))
    else:
        padding = tuple(draw(st.integers(0, min(pmax + 1, r))) for r in room)
    output_padding = a[0] if len(set(a)) == 1 and draw(st.booleans()) else a
    c_in, c_out, groups = draw(channels())
    if batched is None:
        batched = draw(st.booleans())
    lead = (draw(st.integers(1, 2)), c_in) if batched else (c_in,)
    with_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    x, w, b = random_arrays(seed, lead + size, (c_in, c_out // groups) + k, (c_out,), dtype=dtype)
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                  dilation=dilation)
    return Case(x, w, b if with_bias else None, kwargs, n)


def conv_name(n: int) -> str:
    return f"conv{n}d"


def conv_transpose_name(n: int) -> str:
    return f"conv_transpose{n}d"


def as_tuple(value, n: int) -> tuple[int, ...]:
    return (value,) * n if isinstance(value, int) else tuple(value)
