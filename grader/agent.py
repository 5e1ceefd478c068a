"""The grader's agent inside the student's kernel: it runs the student's functions on the grader's inputs.

The trusted grader (``grader.verdict``) sends this module's source, after that of
``grader.wire``, into the sandboxed kernel before any of the student's cells run, as the
module ``_grader_agent``. For each graded cell it then runs ``_grader_agent.serve()`` and
talks to it over the kernel's own stdin channel (one ``input_request`` per answer, about a
millisecond a call): a request names a student's function and its arguments, the answer is
the return value or the exception, as plain data (``grader.wire``).

Nothing here is trusted. The student's code runs in the same process and may change any of
it; the grader only ever reads what comes back as data and compares it with the reference
itself. The agent's one job is to be a convenient, honest messenger for honest code.

numpy's own convolutions are removed here, before the student's code runs: the kernel has
no convlib, torch or scipy at all, so a function that delegates to a reference fails.
"""

import sys
import sysconfig
import traceback

from IPython import get_ipython  # not the builtin: user expressions run outside IPython's builtin trap

if "dumps" not in globals():  # imported as a module (tests); in the kernel, wire's source ran in this namespace
    from grader.wire import WireError, dumps, loads  # noqa: F401

AGENT_FILE = "<grader agent>"
REFERENCES = ("numpy.convolve", "numpy.correlate")
_used: list = []  # references the student's function touched during the current call


class ReferenceUsed(BaseException):
    """A blocked reference was called (a BaseException, so ``except Exception`` does not hide it)."""


def _blocker(name):
    def blocked(*args, **kwargs):
        _used.append(name)
        raise ReferenceUsed(f"{name} is the reference this exercise asks you to write yourself")
    return blocked


def block_references() -> None:
    """Make numpy's convolutions unusable in this kernel, from now on (before any of the student's code)."""
    for module_name in ("numpy", "numpy._core.multiarray", "numpy._core._multiarray_umath", "numpy._core.numeric",
                        "numpy.core.multiarray", "numpy.core.numeric"):
        module = sys.modules.get(module_name)
        for attr in ("convolve", "correlate", "correlate2"):
            if module is not None and attr in vars(module):
                _replace(module, attr, _blocker(f"numpy.{attr.rstrip('2')}"))


def _replace(module, attr, value) -> None:
    try:
        setattr(module, attr, value)
    except (AttributeError, TypeError):
        pass


def _namespace() -> dict:
    return get_ipython().user_ns


def _error(kind, message, error=None) -> dict:
    """An error answer: the deepest line of the student's own code (not this agent, numpy or the standard
    library) and the function it is in."""
    where, origin = "", ""
    if error is not None:
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename != AGENT_FILE and not frame.filename.startswith(_LIBRARIES):
                where = f"line {frame.lineno}: {frame.line}" if frame.line else f"line {frame.lineno}"
                origin = frame.name
                break
    return {"error": {"kind": kind, "message": str(message)[:2000], "where": where[:300], "origin": origin[:100]}}


_LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


def _call(name, args, kwargs) -> dict:
    function = _namespace().get(name)
    if function is None:
        return _error("NameError", f"name '{name}' is not defined")
    if not callable(function):
        return {"value": dumps(function)}
    del _used[:]
    try:
        value = function(*args, **kwargs)
    except ReferenceUsed as error:
        return {**_error("ReferenceUsed", error, error), "references": list(_used)}
    except KeyboardInterrupt as error:
        return _error("Interrupted", "interrupted by the grader", error)
    except SystemExit as error:
        return _error("SystemExit", "your function called sys.exit(); return a value instead", error)
    except BaseException as error:  # noqa: BLE001 (the student's exception, reported as data)
        try:
            text = str(error)
        except BaseException:  # noqa: BLE001
            text = "?"
        return _error(type(error).__name__, text, error)
    try:
        encoded = dumps(value)
    except BaseException:  # noqa: BLE001 (a value that defeats the encoder)
        encoded = dumps(None)
    return {"value": encoded, "references": list(_used)}


def _resolve(names) -> dict:
    namespace, found = _namespace(), {}
    for name in names:
        if name not in namespace:
            found[name] = {"kind": "missing"}
        elif callable(namespace[name]):
            found[name] = {"kind": "callable"}
        else:
            try:
                found[name] = {"kind": "value", "value": dumps(namespace[name])}
            except BaseException:  # noqa: BLE001
                found[name] = {"kind": "value", "value": dumps(None)}
    return {"names": found}


def handle(request_text: str):
    """The answer to one request, as text; None for ``stop``."""
    import json

    request = json.loads(request_text)
    op = request.get("op")
    if op == "stop":
        return None
    if op == "resolve":
        return json.dumps(_resolve(request["names"]))
    if op == "call":
        args = loads(request["args"])
        kwargs = loads(request["kwargs"])
        return json.dumps(_call(request["name"], args, kwargs))
    return json.dumps(_error("BadRequest", f"unknown op {op!r}"))


def serve() -> None:
    """Answer the grader's requests until it says stop (one graded cell's worth)."""
    raw_input = get_ipython().kernel.raw_input
    answer = "ready"
    while True:
        request = raw_input(answer)
        answer = handle(request)
        if answer is None:
            return
