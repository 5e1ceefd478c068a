"""The exercise checks: what every graded cell of the course calls, and what a student reads.

A graded cell runs the student's function through :func:`call` and compares what came
back with the reference through one of the ``check_*`` functions::

    check_array("conv2d_single of a random 4x5 map, padding=2", call(conv2d_single, x, w, 0.0, 1, 2),
                convlib.conv2d(x[None], w[None, None], padding=2)[0],
                hint="pad both axes with `padding` zeros on each side")

A failing check raises :class:`CheckFailed`, whose message says what was checked,
what was expected against what came back (the shape, the dtype, the first differing
index with both values, the largest difference) and a hint. In Jupyter that message is
all the student sees (``_render_traceback_``): no traceback into this module. A cell
whose checks all pass says so in one green line.

:func:`call` runs the student's function with the references the exercise asks them to
write themselves made unusable for the duration of the call (``convlib``, ``torch``,
``numpy.convolve``, ...): a function that only delegates fails with a message saying
why. The same cells run unchanged in the trusted grader (``grader.verdict``), where the
student's function is a proxy into the sandboxed kernel; :func:`call` treats both alike.
"""

from __future__ import annotations

import ast
import contextlib
import math
import sys
import sysconfig
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "REFERENCES",
    "CheckFailed",
    "ReferenceUsed",
    "StudentError",
    "call",
    "check_array",
    "check_equal",
    "check_int",
    "check_number",
    "check_shape",
    "check_true",
    "passed_message",
]

# What `call` blocks unless a graded cell names its own list: every convolution the course has a
# reference for. A module name blocks every function defined in it and its submodules.
REFERENCES = (
    "convlib",
    "torch",
    "numpy.convolve",
    "numpy.correlate",
    "scipy.signal",
    "scipy.ndimage",
)

RED, GREEN, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"


# ----------------------------------------------------------------------------- failures

class CheckFailed(AssertionError):
    """A graded check that failed: ``what`` was checked, ``problem`` says how it failed, ``hint`` what to try.

    In IPython the message is shown alone, without a traceback (``_render_traceback_``).
    """

    def __init__(self, what: str, problem: str, hint: str = ""):
        self.what, self.problem, self.hint = what, problem, hint
        super().__init__(f"{what}: {problem}" + (f"\nHint: {hint}" if hint else ""))

    def _render_traceback_(self) -> list[str]:
        lines = str(self).splitlines()
        return [f"{RED}{BOLD}✗ {lines[0]}{RESET}", *lines[1:]]


class ReferenceUsed(BaseException):
    """Raised inside the student's function when it calls a blocked reference.

    A ``BaseException`` so that a broad ``except Exception`` in the student's code does not
    swallow it; :func:`call` notices the use even if it is swallowed anyway.
    """

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"{name} is the reference this exercise asks you to write yourself")


@dataclass
class StudentError(Exception):
    """An exception raised by the student's function, as plain data (also how the sandbox reports one).

    ``kind`` is the exception's type name, ``message`` its text, ``where`` the student's line
    it came from (``"line 4: return x[i, j] * w"``), or ``""``.
    """

    kind: str
    message: str
    where: str = ""
    origin: str = ""  # the function of the student's that raised it, if known

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}" if self.message else self.kind


# ----------------------------------------------------------------------------- calling the student's function

_checks_run = 0  # checks completed in the current cell (reset by the IPython hook), for the green line


def call(fn: Callable, *args, forbid: tuple[str, ...] = REFERENCES, raised_hint: str = "", **kwargs):
    """Call the student's ``fn(*args, **kwargs)`` with the references in ``forbid`` blocked.

    Returns what ``fn`` returns. Raises :class:`CheckFailed` if ``fn`` is still the stub (or
    calls one), calls a blocked reference, or raises; the message names the call and the
    student's line, and ``raised_hint`` (if given) is the hint for an exception.
    """
    name = getattr(fn, "__name__", repr(fn))
    if not callable(fn):
        raise CheckFailed(f"{name}", f"expected a function, got {_describe(fn)}",
                          "did you assign to the function's name by mistake? Run its cell again")
    used: list[str] = []
    # A proxy of the grader (grader.verdict) runs the function in the sandbox, where the references
    # are not installed at all: nothing to block in this process.
    references = () if getattr(fn, "runs_in_sandbox", False) else forbid
    try:
        with blocked(references, used):
            result = fn(*args, **kwargs)
    except NotImplementedError as error:
        raise _not_written(name, _as_student_error(error).origin) from None
    except ReferenceUsed as error:
        used.append(error.name)
        result = None
    except StudentError as error:
        if error.kind == "NotImplementedError":
            raise _not_written(name, error.origin) from None
        if error.kind == "ReferenceUsed":
            used.append(error.message.split(" ", 1)[0])
        elif _names_reference(error, forbid):
            used.append(_names_reference(error, forbid))
        else:
            raise _raised(name, args, kwargs, error, raised_hint) from None
    except (Exception, SystemExit) as error:
        raise _raised(name, args, kwargs, _as_student_error(error), raised_hint) from None
    if used:
        what = f"uses torch ({used[0]})" if used[0].startswith("torch.") else f"calls {used[0]}"
        raise CheckFailed(f"{name}{_signature(args, kwargs)}",
                          f"it {what}, the reference this exercise asks you to write yourself",
                          "compute it yourself, with numpy or plain Python; blocked while your function runs:"
                          f" {', '.join(forbid)}")
    return result


def _not_written(name: str, stub: str = "") -> CheckFailed:
    if stub and stub != name:  # the stub of another exercise, called by this one
        return CheckFailed(f"{name} calls {stub}, which is not written yet",
                           f"write {stub} first (replace its `raise NotImplementedError()`), or do without it")
    return CheckFailed(f"{name} is not written yet",
                       "replace `raise NotImplementedError()` in its cell with your code, and run that cell again")


def _raised(name: str, args: tuple, kwargs: dict, error: StudentError, hint: str = "") -> CheckFailed:
    if error.kind in SANDBOX_FAILURES:  # reported by the grader, not raised by the function
        return CheckFailed(f"{name}{_signature(args, kwargs)}", error.message, SANDBOX_FAILURES[error.kind])
    where = f" (at {error.where})" if error.where else ""
    return CheckFailed(f"{name}{_signature(args, kwargs)}", f"your function raised {error}{where}",
                       hint or "run your function on these arguments in the scratch cell to see the whole traceback")


# What the grader reports in place of a result when the student's process gives none (grader.verdict).
SANDBOX_FAILURES = {
    "Timeout": "look for a loop that never ends, or one far larger than the input needs",
    "KernelDied": "something in your notebook ended the Python process (os._exit, a crash, or memory)",
    "Unreadable": "return numbers, numpy arrays, or lists, tuples and dicts of them",
}


def _names_reference(error: StudentError, forbid: tuple[str, ...]) -> str:
    """The blocked reference a sandbox error points at (``No module named 'torch'``), or ``""``.

    In the grading sandbox the references are not installed at all, so a function that
    delegates fails there with an import, name or attribute error naming one of them.
    """
    if error.kind not in ("ModuleNotFoundError", "ImportError", "NameError", "AttributeError"):
        return ""
    for reference in forbid:
        module, _, attr = reference.partition(".")
        if f"'{module}'" in error.message and (not attr or f"'{attr.split('.')[-1]}'" in error.message
                                               or error.kind != "AttributeError"):
            return reference
    return ""


def _as_student_error(error: BaseException) -> StudentError:
    """The exception as plain data, with the deepest line of the traceback in the student's own code
    (not in this module, numpy or the standard library), and the function it is in."""
    where, origin = "", ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename != __file__ and not frame.filename.startswith(_LIBRARIES):
            where = f"line {frame.lineno}: {frame.line}" if frame.line else f"line {frame.lineno}"
            origin = frame.name
            break
    kind = type(error).__name__
    if isinstance(error, SystemExit):
        return StudentError(kind, "your function called sys.exit(); return a value instead", where, origin)
    return StudentError(kind, str(error), where, origin)


_LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


def _signature(args: tuple, kwargs: dict) -> str:
    """``(array (4, 5), array (3, 3), 0.0, stride=2)``: the call, with arrays shown by their shape."""
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ") if value.ndim <= 1 and value.size <= 6 else \
            f"array {value.shape}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ----------------------------------------------------------------------------- blocking the references

@contextlib.contextmanager
def blocked(references: tuple[str, ...], used: list[str] | None = None) -> Iterator[None]:
    """Make each reference unusable inside the ``with`` block; names of those called go to ``used``.

    A Python function is blocked by swapping its code, so a reference the student saved
    earlier (``from convlib import conv2d``) is blocked too; torch's operations (built-ins)
    through a ``TorchFunctionMode``. Only modules already imported are touched.
    """
    used = [] if used is None else used
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    try:
        for reference in references:
            for function, qualified in _functions_cached(reference):
                if function.__code__.co_freevars:  # a closure: its code cannot be swapped for a raiser
                    continue
                original = function.__code__
                function.__code__ = _raiser(qualified, original)
                swapped.append((function, original))
        with _torch_blocked(references, used):
            _BLOCKED_LOG.clear()
            yield
    finally:
        for function, original in reversed(swapped):
            function.__code__ = original
        used.extend(_BLOCKED_LOG)
        _BLOCKED_LOG.clear()


_BLOCKED_LOG: list[str] = []
_FUNCTIONS: dict[str, tuple[int, list]] = {}


def _functions_cached(reference: str) -> list[tuple[types.FunctionType, str]]:
    """:func:`_functions`, walked again only when a module has been imported since (with torch loaded,
    walking sys.modules on every call cost 5 ms a call)."""
    key = len(sys.modules)
    hit = _FUNCTIONS.get(reference)
    if hit is None or hit[0] != key:
        hit = _FUNCTIONS[reference] = (key, list(_functions(reference)))
    return hit[1]


def _functions(reference: str) -> Iterator[tuple[types.FunctionType, str]]:
    """The Python functions a reference names: ``"numpy.convolve"``, or every function of ``"convlib"``.

    torch is left to the mode of :func:`_torch_blocked`, which sees its Python layers and its built-ins alike.
    """
    if reference == "torch" or reference.startswith("torch."):
        return
    if reference in sys.modules or any(m.startswith(reference + ".") for m in list(sys.modules)):
        seen = set()
        # The package itself first, so that a function is named as the student knows it: convlib.conv2d.
        modules = sorted(sys.modules.items(), key=lambda item: item[0] != reference)
        for module_name, module in modules:
            if module is None or not (module_name == reference or module_name.startswith(reference + ".")):
                continue
            for attr, value in list(vars(module).items()):
                function = _python_function(value)
                if function is not None and function.__module__ and \
                        (function.__module__ == reference or function.__module__.startswith(reference + ".")) \
                        and id(function) not in seen:
                    seen.add(id(function))
                    yield function, f"{module_name}.{attr}"
        return
    module_name, _, attr = reference.rpartition(".")
    module = sys.modules.get(module_name)
    function = _python_function(getattr(module, attr, None)) if module is not None else None
    if function is not None:
        yield function, reference


def _python_function(value) -> types.FunctionType | None:
    """The Python function behind ``value``: itself, or what numpy's dispatcher wraps."""
    if isinstance(value, types.FunctionType):
        return value
    implementation = getattr(value, "_implementation", None)  # numpy's _ArrayFunctionDispatcher
    return implementation if isinstance(implementation, types.FunctionType) else None


_RAISERS: dict[tuple[str, str], types.CodeType] = {}


def _raiser(qualified: str, original: types.CodeType) -> types.CodeType:
    """A code object that raises ReferenceUsed(qualified), named as ``original`` (cached)."""
    key = (qualified, original.co_name)
    if key not in _RAISERS:
        _RAISERS[key] = _make_raiser(qualified, original.co_name)
    return _RAISERS[key]


def _make_raiser(qualified: str, name: str) -> types.CodeType:
    # The swapped code runs with the blocked function's globals, so it imports this module by name.
    source = (f"def _(*args, **kwargs):\n"
              f"    import grader.checks as _checks\n"
              f"    _checks._BLOCKED_LOG.append({qualified!r})\n"
              f"    raise _checks.ReferenceUsed({qualified!r})\n")
    namespace: dict = {}
    exec(compile(source, f"<blocked {qualified}>", "exec"), namespace)
    return namespace["_"].__code__.replace(co_name=name)


@contextlib.contextmanager
def _torch_blocked(references: tuple[str, ...], used: list[str]) -> Iterator[None]:
    if not any(r == "torch" or r.startswith("torch.") for r in references) or "torch" not in sys.modules:
        yield
        return
    from torch.overrides import TorchFunctionMode

    names = {r for r in references if r.startswith("torch.")}

    class Blocked(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", str(func))
            qualified = f"torch.Tensor.{name}" if name.startswith("_") or func is getattr(
                sys.modules["torch"].Tensor, name, None) else f"torch.{name}"
            if "torch" in references or qualified in names:
                _BLOCKED_LOG.append(qualified)
                raise ReferenceUsed(qualified)
            return func(*args, **(kwargs or {}))

    with Blocked():
        yield


# ----------------------------------------------------------------------------- the checks

def _passed() -> None:
    global _checks_run
    _checks_run += 1


def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{_short(value)} of type {type(value).__name__}"


def _no_return(what: str, value, expected: str) -> None:
    if value is None:
        raise CheckFailed(what, f"expected {expected}, got None", "does your function end with `return`?")


def check_int(what: str, got, expected: int, hint: str = "") -> None:
    """Fail unless ``got`` is the whole number ``expected`` (a Python or numpy int, not a float or bool)."""
    _no_return(what, got, f"the int {expected!r}")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        raise CheckFailed(what, f"expected the int {expected!r}, got {_describe(got)}",
                          "a size or a count is a whole number: use // (or int()) and return an int")
    if got != expected:
        raise CheckFailed(what, f"expected {expected}, got {got}", hint)
    _passed()


def check_number(what: str, got, expected: float, hint: str = "", rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """Fail unless ``got`` is a real number within ``rtol``/``atol`` of ``expected``."""
    _no_return(what, got, f"the number {expected!r}")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        raise CheckFailed(what, f"expected a number close to {expected:.6g}, got {_describe(got)}", hint)
    if not math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol):
        raise CheckFailed(what, f"expected {expected:.6g}, got {float(got):.6g} "
                                f"(a difference of {abs(float(got) - float(expected)):.3g})", hint)
    _passed()


def check_equal(what: str, got, expected, hint: str = "") -> None:
    """Fail unless ``got == expected`` with the same type of container (tuple, list, set, dict, str)."""
    if expected is not None:
        _no_return(what, got, _short(expected))
    if type(got) is not type(expected) and not (isinstance(got, (int, np.integer)) and
                                                isinstance(expected, int) and not isinstance(got, bool)):
        raise CheckFailed(what, f"expected the {type(expected).__name__} {_short(expected)}, got {_describe(got)}",
                          hint)
    if got != expected:
        detail = ""
        if isinstance(expected, (list, tuple, set)) and isinstance(got, (list, tuple, set)):
            missing = [v for v in expected if v not in got]
            extra = [v for v in got if v not in expected]
            detail = f" (missing {missing}, not expected {extra})" if missing or extra else \
                " (the same items in another order)"
        raise CheckFailed(what, f"expected {expected!r}, got {got!r}{detail}", hint)
    if not _ints_where_ints(got, expected):  # (2.0, 3.0) == (2, 3) in Python, but a shape is made of ints
        raise CheckFailed(what, f"expected {expected!r}, all ints, got {got!r}",
                          "a size or a count is a whole number: use // (or int())")
    _passed()


def _ints_where_ints(got, expected) -> bool:
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) and len(got) == len(expected):
        return all(_ints_where_ints(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(expected, int) and not isinstance(expected, bool):
        return isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_))
    return True


def check_true(what: str, condition: bool, problem: str, hint: str = "") -> None:
    """Fail with ``problem`` unless ``condition`` holds (for checks no other helper expresses)."""
    if not condition:
        raise CheckFailed(what, problem, hint)
    _passed()


def check_shape(what: str, got, expected: tuple[int, ...], hint: str = "") -> None:
    """Fail unless ``got`` is an array (or nested list) of shape ``expected``."""
    expected = tuple(expected)
    _no_return(what, got, f"an array of shape {expected}")
    try:
        shape = np.shape(got)
    except ValueError:  # ragged nested lists
        raise CheckFailed(what, f"expected an array of shape {expected}, got ragged nested lists", hint) from None
    if shape != expected:
        raise CheckFailed(what, f"expected shape {expected}, got shape {shape}", hint)
    _passed()


def check_array(what: str, got, expected, hint: str = "", rtol: float = 1e-7, atol: float = 1e-9,
                dtype=None, dtype_hint: str = "") -> None:
    """Fail unless ``got`` is close to the array ``expected`` (and of ``dtype``, if given: ``dtype_hint``
    is then the hint for a wrong dtype).

    The message gives the shape, or how many elements are wrong, the largest difference,
    and the first wrong index with both values.
    """
    expected = np.asarray(expected)
    _no_return(what, got, f"an array of shape {expected.shape}")
    try:
        values = np.asarray(got)
        if values.dtype == object or values.dtype.kind not in "biufc":
            raise TypeError
    except (TypeError, ValueError):
        raise CheckFailed(what, f"expected a numeric array of shape {expected.shape}, got {_describe(got)}",
                          hint) from None
    if values.shape != expected.shape:
        raise CheckFailed(what, f"expected shape {expected.shape}, got shape {values.shape}", hint)
    if dtype is not None and values.dtype != np.dtype(dtype):
        raise CheckFailed(what, f"expected dtype {np.dtype(dtype)}, got dtype {values.dtype}",
                          dtype_hint or hint or "keep the input's dtype: build the output with dtype=x.dtype")
    close = np.isclose(values, expected, rtol=rtol, atol=atol)
    if not close.all():
        wrong = np.argwhere(~close)
        first = tuple(int(n) for n in wrong[0])
        difference = np.abs(values.astype(complex if values.dtype.kind == "c" else float) - expected)
        difference = np.where(np.isnan(difference), np.inf, difference)
        worst = tuple(int(n) for n in np.unravel_index(np.argmax(difference), difference.shape))
        kind = f" (your array has dtype {values.dtype}, so its values lose their fractions)" \
            if values.dtype.kind in "biu" and expected.dtype.kind in "fc" else ""
        raise CheckFailed(
            what,
            f"{len(wrong)} of {expected.size} elements are wrong{kind}; the first at index {first}: "
            f"expected {_value(expected[first])}, got {_value(values[first])}; the largest difference is "
            f"{_value(difference[worst])} at index {worst}",
            hint)
    _passed()


def _value(x) -> str:
    return f"{complex(x):.6g}" if np.iscomplexobj(x) else f"{float(x):.6g}"


# ----------------------------------------------------------------------------- the green line

def passed_message(source: str, checks: int) -> str:
    """The line a graded cell shows when all its checks pass: its docstring's first line, and how many."""
    title = ""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        body = []
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        title = body[0].value.value.strip().splitlines()[0]
    count = f"{checks} check{'s' if checks != 1 else ''}"
    return f"{GREEN}{BOLD}✓ passed{RESET}{GREEN}: {title} ({count}){RESET}" if title else \
        f"{GREEN}{BOLD}✓ passed{RESET}{GREEN} ({count}){RESET}"


def _pre_run_cell(info) -> None:
    global _checks_run
    _checks_run = 0


def _post_run_cell(result) -> None:
    if _checks_run and result.error_in_exec is None and result.error_before_exec is None:
        print(passed_message(result.info.raw_cell if result.info else "", _checks_run))


def _register_with_ipython() -> None:
    """In IPython, show the green line after a cell whose checks all passed (once per kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "_grader_checks_hooked", False):
        return
    shell.events.register("pre_run_cell", _pre_run_cell)
    shell.events.register("post_run_cell", _post_run_cell)
    shell._grader_checks_hooked = True


_register_with_ipython()
