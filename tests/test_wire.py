"""Plain data across the sandbox's wall (grader/wire.py): what goes through, and what is refused."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import wire
from grader.wire import Opaque, WireError


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, np.generic):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


DTYPES = st.sampled_from([np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float16, np.float32, np.float64,
                          np.complex128])
arrays = DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0,
                                                                         max_side=4)))
leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5) | arrays | \
    st.complex_numbers(allow_nan=False)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner) |
                      st.dictionaries(st.integers() | st.text(max_size=3), inner, max_size=3), max_leaves=10)


@given(values)
def test_values_come_back_as_they_were(value):
    assert same(value, wire.loads(wire.dumps(value)))


def test_numpy_scalars_and_sets_keep_their_type():
    for value in (np.float32(1.5), np.int64(3), np.bool_(True), {1, 2}, frozenset({3})):
        back = wire.loads(wire.dumps(value))
        assert back == value and (type(back) is type(value) or isinstance(value, frozenset) and type(back) is set)
    assert type(wire.loads(wire.dumps(np.float64(2.0)))) is np.float64  # not a plain float


def test_what_cannot_cross_comes_back_as_opaque():
    back = wire.loads(wire.dumps(lambda x: x))
    assert isinstance(back, Opaque) and back.type_name == "function"
    assert isinstance(wire.loads(wire.dumps(np.array(["a"]))), Opaque)  # strings arrays: not numbers
    assert isinstance(wire.loads(wire.dumps(np.array([object()], dtype=object))), Opaque)

    class Hostile:
        def __repr__(self):
            raise RuntimeError("no")

    assert wire.loads(wire.dumps(Hostile())) == Opaque("Hostile", "?")


def array_message(dtype, shape, raw: bytes) -> str:
    return json.dumps({"__ndarray__": base64.b64encode(raw).decode(), "dtype": dtype, "shape": shape})


@pytest.mark.parametrize(("text", "says"), [
    (array_message("|O", [1], b"\0" * 8), "not an array of a numeric dtype"),
    (array_message("<f8", [2], b"\0" * 8), "does not match its 8 bytes"),
    (array_message("<f8", [-1], b""), "not an array of a numeric dtype"),
    (array_message("<f8", [True], b"\0" * 8), "not an array of a numeric dtype"),
    ('{"__pickle__": "gASVAAAAAAAAAAA="}', "not plain data"),
    ('{"a": 1}', "not plain data"),
    ("[" * 100 + "]" * 100, "nested too deeply"),
    ("not json", "not JSON"),
    ('{"__set__": [[1]]}', "a set of unhashable values"),
    ('{"__dict__": [[1]]}', "not plain data"),
])
def test_what_is_not_plain_data_is_refused(text, says):
    with pytest.raises(WireError, match=says):
        wire.loads(text)


def test_messages_over_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(wire, "MAX_BYTES", 100)
    with pytest.raises(WireError, match="larger than the limit"):
        wire.loads(wire.dumps(np.zeros(100)))
