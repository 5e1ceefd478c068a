"""Plain data across the sandbox's wall: what the grader sends a student's function, and what comes back.

JSON only, never pickle: a value from the student's process is data to be read, not code
to be run. numpy arrays travel as their raw bytes (base64) with a dtype from a fixed list
of numeric types and a shape; tuples, sets, dicts with non-string keys and numpy scalars
are tagged so that they come back as what they were. Anything else comes back as an
:class:`Opaque` naming its type, which every check rejects with a clear message.

This module needs only the standard library and numpy: its source is also sent into the
sandboxed kernel (``grader.agent``), where nothing of the course is installed.
"""

from __future__ import annotations

import base64
import json

import numpy as np

# dtypes allowed across the wall: numbers and booleans, never objects or strings of bytes
DTYPES = frozenset(["|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"])
MAX_DEPTH = 32  # nesting of lists, tuples, dicts
MAX_BYTES = 256 * 2**20  # of one message


class WireError(ValueError):
    """A message that is not plain data of the kinds above."""


class Opaque:
    """A value that could not cross the wall (a function, an object): its type name and repr, for messages."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = str(type_name)[:100], str(text)[:200]

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    __hash__ = None


def encode(value, depth: int = 0):
    """``value`` as JSON-ready data (see the module's docstring)."""
    if depth > MAX_DEPTH:
        return {"__opaque__": "deep", "repr": "nested too deeply"}
    if isinstance(value, np.generic):  # before int and float: np.float64 is a float
        if value.dtype.str in DTYPES:
            return {"__scalar__": encode(np.asarray(value)), "dtype": value.dtype.str}
        return {"__opaque__": type(value).__name__, "repr": repr(value)[:200]}
    if value is None or isinstance(value, (bool, str)):
        return value if type(value) in (bool, str) or value is None else str(value)
    if isinstance(value, int):
        return value if type(value) is int else {"__opaque__": type(value).__name__, "repr": repr(value)[:200]}
    if isinstance(value, float):
        return value if type(value) is float else float(value)
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, np.ndarray) and value.dtype.str in DTYPES:
        data = np.ascontiguousarray(value)
        return {"__ndarray__": base64.b64encode(data.tobytes()).decode("ascii"), "dtype": value.dtype.str,
                "shape": list(value.shape)}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"__set__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__
        text = "?"
    return {"__opaque__": type(value).__name__, "repr": text[:200]}


def decode(data, depth: int = 0):
    """The value ``data`` (from :func:`encode`) stands for; :class:`WireError` if it is not such data."""
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) > 3:
        raise WireError(f"not plain data: {type(data).__name__}")
    if "__ndarray__" in data:
        dtype, shape = data.get("dtype"), data.get("shape")
        if dtype not in DTYPES or not isinstance(shape, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape) or len(shape) > 32:
            raise WireError(f"not an array of a numeric dtype: dtype {dtype!r}, shape {shape!r}")
        raw = base64.b64decode(str(data["__ndarray__"]), validate=True)
        count = int(np.prod(shape, dtype=object))
        if count * np.dtype(dtype).itemsize != len(raw):
            raise WireError(f"array of shape {shape} and dtype {dtype} does not match its {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "__scalar__" in data:
        array = decode(data["__scalar__"], depth + 1)
        if not isinstance(array, np.ndarray) or array.shape != () or array.dtype.str != data.get("dtype"):
            raise WireError("not a numpy scalar")
        return array[()]
    if "__complex__" in data:
        real, imag = data["__complex__"]
        return complex(float(real), float(imag))
    if "__tuple__" in data:
        return tuple(decode(v, depth + 1) for v in _items(data["__tuple__"]))
    if "__set__" in data:
        try:
            return {decode(v, depth + 1) for v in _items(data["__set__"])}
        except TypeError:
            raise WireError("a set of unhashable values") from None
    if "__dict__" in data:
        try:
            return {decode(k, depth + 1): decode(v, depth + 1) for k, v in (_pair(p) for p in _items(data["__dict__"]))}
        except TypeError:
            raise WireError("a dict with unhashable keys") from None
    if "__opaque__" in data:
        return Opaque(data["__opaque__"], data.get("repr", ""))
    raise WireError(f"not plain data: keys {sorted(data)[:3]}")


def _items(value) -> list:
    if not isinstance(value, list):
        raise WireError("not plain data")
    return value


def _pair(value) -> tuple:
    if not isinstance(value, list) or len(value) != 2:
        raise WireError("not plain data")
    return value[0], value[1]


def dumps(value) -> str:
    return json.dumps(encode(value), allow_nan=True, separators=(",", ":"))


def loads(text: str):
    """Decode one message; :class:`WireError` if it is not JSON of plain data or is too large."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        raise WireError("not a message, or larger than the limit")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"not JSON: {error}") from None
    return decode(data)
