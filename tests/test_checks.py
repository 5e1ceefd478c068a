"""The exercise checks (grader/checks.py): what each says when it fails, and what call() blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlib
from grader import checks
from grader.checks import (
    CheckFailed,
    StudentError,
    call,
    check_array,
    check_equal,
    check_int,
    check_number,
    check_shape,
    check_true,
    passed_message,
)


def failure(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as caught:
        fn(*args, **kwargs)
    return str(caught.value)


# ----------------------------------------------------------------------------- the checks' messages

def test_check_int_messages():
    assert failure(check_int, "size", None, 3) == \
        "size: expected the int 3, got None\nHint: does your function end with `return`?"
    assert failure(check_int, "size", 3.0, 3).startswith("size: expected the int 3, got 3.0 of type float")
    assert failure(check_int, "size", True, 1).startswith("size: expected the int 1, got True of type bool")
    assert failure(check_int, "size", 4, 3, hint="p on each side") == "size: expected 3, got 4\nHint: p on each side"
    check_int("size", np.int64(3), 3)  # numpy ints are ints


def test_check_number_messages():
    assert failure(check_number, "ratio", 0.5, 0.25) == "ratio: expected 0.25, got 0.5 (a difference of 0.25)"
    assert "got '0.25' of type str" in failure(check_number, "ratio", "0.25", 0.25)
    check_number("ratio", 0.25 + 1e-12, 0.25)


def test_check_equal_and_true():
    assert failure(check_equal, "channels", [0, 1], (0, 1)) == \
        "channels: expected the tuple (0, 1), got [0, 1] of type list"
    assert failure(check_equal, "channels", {0, 2}, {0, 1}) == \
        "channels: expected {0, 1}, got {0, 2} (missing [1], not expected [2])"
    assert failure(check_equal, "order", [1, 0], [0, 1]).endswith("(the same items in another order)")
    check_equal("channels", {1, 0}, {0, 1})
    assert failure(check_true, "seen", False, "output 3 sees no input", "shuffle first") == \
        "seen: output 3 sees no input\nHint: shuffle first"


def test_check_shape_messages():
    assert failure(check_shape, "out", np.zeros((3, 4)), (4, 4), hint="C_out first") == \
        "out: expected shape (4, 4), got shape (3, 4)\nHint: C_out first"
    assert "ragged nested lists" in failure(check_shape, "out", [[1, 2], [3]], (2, 2))
    check_shape("out", [[1, 2], [3, 4]], (2, 2))


def test_check_array_gives_count_first_index_both_values_and_largest_difference():
    expected = np.arange(6.0).reshape(2, 3)
    got = expected.copy()
    got[0, 1] += 0.5
    got[1, 2] -= 2.0
    assert failure(check_array, "y", got, expected, hint="flip nothing") == (
        "y: 2 of 6 elements are wrong; the first at index (0, 1): expected 1, got 1.5; "
        "the largest difference is 2 at index (1, 2)\nHint: flip nothing")


def test_check_array_names_dtype_and_shape():
    assert failure(check_array, "y", np.zeros((2, 2)), np.zeros((2, 3))) == \
        "y: expected shape (2, 3), got shape (2, 2)"
    message = failure(check_array, "y", np.zeros(2, np.float64), np.zeros(2, np.float32), dtype=np.float32)
    assert message.startswith("y: expected dtype float32, got dtype float64")
    assert "your array has dtype int64, so its values lose their fractions" in \
        failure(check_array, "y", np.array([1, 2]), np.array([1.5, 2.0]))
    assert "expected a numeric array of shape (2,), got 'ab' of type str" in failure(check_array, "y", "ab", [1, 2])
    assert "got None" in failure(check_array, "y", None, [1.0])
    nan = np.array([1.0, np.nan])
    assert "1 of 2 elements are wrong; the first at index (1,): expected 2, got nan" in \
        failure(check_array, "y", nan, np.array([1.0, 2.0]))
    check_array("y", [1.0, 2.0], np.array([1.0, 2.0]))
    check_array("y", np.float32([1, 2]), np.float64([1, 2 + 1e-7]), rtol=1e-6)


# ----------------------------------------------------------------------------- call()

def stub(x):
    raise NotImplementedError()


def test_call_says_a_stub_is_not_written_yet():
    assert failure(call, stub, 1) == ("stub is not written yet: replace `raise NotImplementedError()` in its cell "
                                      "with your code, and run that cell again")


def test_call_names_the_students_line_when_their_function_raises():
    def conv(x):
        return x[5]

    message = failure(call, conv, np.zeros(3))
    assert message.startswith("conv([0., 0., 0.]): your function raised IndexError: index 5 is out of bounds")
    assert "(at line" in message and "return x[5]" in message


def test_call_on_something_that_is_not_a_function():
    assert failure(call, 3).startswith("3: expected a function, got 3 of type int")


def test_call_turns_sys_exit_into_a_message():
    def leave():
        raise SystemExit(0)

    assert "your function called sys.exit(); return a value instead" in failure(call, leave)


@pytest.mark.parametrize("how", ["module", "saved", "swallowed"])
def test_call_blocks_convlib_however_it_is_reached(how):
    saved = convlib.conv2d

    def answer(x, w):
        if how == "module":
            return convlib.conv2d(x, w)
        if how == "saved":
            return saved(x, w)
        try:
            return convlib.conv2d(x, w)
        except BaseException:  # a student's catch-all does not hide it
            return np.zeros((1, 1, 1))

    x, w = np.ones((1, 3, 3)), np.ones((1, 1, 2, 2))
    assert "it calls convlib.conv2d, the reference this exercise asks you to write yourself" in \
        failure(call, answer, x, w)
    assert convlib.conv2d(x, w).shape == (1, 2, 2)  # unblocked again after the call


def test_call_blocks_torch_and_numpy_convolutions():
    def with_torch(x):
        return torch.nn.functional.conv1d(torch.tensor(x)[None, None], torch.ones(1, 1, 2)).numpy()

    def with_numpy(x):
        return np.convolve(x, [1, 1], "valid")

    assert "it uses torch (torch.tensor), the reference" in failure(call, with_torch, np.ones(4))
    assert "it calls numpy.convolve, the reference" in failure(call, with_numpy, np.ones(4))
    assert np.convolve([1, 2], [1, 1]).tolist() == [1, 3, 2]
    assert call(with_numpy, np.ones(3), forbid=()).tolist() == [2.0, 2.0]  # a cell may allow it


def test_call_reads_the_sandboxes_errors():
    """What the grader's proxies raise (grader.verdict): the sandbox's own reasons, as the student's."""
    def proxy(kind, message):
        def function(*args):
            raise StudentError(kind, message, "line 2: return convlib.conv2d(x, w)")
        function.runs_in_sandbox = True
        return function

    assert "is not written yet" in failure(call, proxy("NotImplementedError", ""))
    assert "it calls torch, the reference" in failure(call, proxy("ModuleNotFoundError", "No module named 'torch'"))
    assert "it calls convlib, the reference" in failure(call, proxy("NameError", "name 'convlib' is not defined"))
    assert "it calls numpy.convolve, the reference" in \
        failure(call, proxy("ReferenceUsed", "numpy.convolve is the reference"))
    timeout = failure(call, proxy("Timeout", "f(...) did not return within 5 s"))
    assert "did not return within 5 s\nHint: look for a loop that never ends" in timeout
    raised = failure(call, proxy("ValueError", "bad shape"))
    assert "your function raised ValueError: bad shape (at line 2: return convlib.conv2d(x, w))" in raised


# ----------------------------------------------------------------------------- what the student sees

def test_a_failure_renders_its_message_alone():
    error = CheckFailed("y", "expected 1, got 2", "look at the bias")
    lines = error._render_traceback_()
    assert lines[0] == f"{checks.RED}{checks.BOLD}✗ y: expected 1, got 2{checks.RESET}"
    assert lines[1:] == ["Hint: look at the bias"]


def test_passed_message_takes_the_cells_docstring():
    source = '"""conv1d with stride: windows start s apart."""\ncheck_int("x", 1, 1)\n'
    assert passed_message(source, 3) == (f"{checks.GREEN}{checks.BOLD}✓ passed{checks.RESET}{checks.GREEN}: "
                                         f"conv1d with stride: windows start s apart. (3 checks){checks.RESET}")
    assert "✓ passed" in passed_message("x = 1", 1) and "(1 check)" in passed_message("x = 1", 1)


def test_ipython_shows_the_green_line_after_a_passing_cell_only(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    checks._register_with_ipython()
    shell.run_cell('"""Two checks."""\nfrom grader.checks import check_int\ncheck_int("a", 1, 1)\n'
                   'check_int("b", 2, 2)\n')
    assert "✓ passed\x1b[0m\x1b[32m: Two checks. (2 checks)" in capsys.readouterr().out
    result = shell.run_cell('from grader.checks import check_int\ncheck_int("a", 1, 2)\n')
    assert isinstance(result.error_in_exec, CheckFailed)
    assert "✓ passed" not in capsys.readouterr().out
    shell.run_cell("x = 1")
    assert "✓ passed" not in capsys.readouterr().out


def test_check_equal_wants_ints_where_the_expected_has_ints():
    assert failure(check_equal, "shape", (2.0, 3.0), (2, 3)) == \
        "shape: expected (2, 3), all ints, got (2.0, 3.0)\nHint: a size or a count is a whole number: use // (or int())"
    check_equal("shape", (np.int64(2), 3), (2, 3))


def test_a_stub_called_by_another_exercise_is_named():
    def mult_adds(shape):
        return stub(shape)

    assert failure(call, mult_adds, 3).startswith("mult_adds calls stub, which is not written yet")


def test_the_line_shown_is_the_students_not_numpys():
    def grid(x):
        return list(np.ndindex(x))

    message = failure(call, grid, -1)
    line = grid.__code__.co_firstlineno + 1
    assert message.split("(at ")[1].startswith(f"line {line}: return list(np.ndindex(x)))")


def test_a_cell_can_give_the_hint_for_an_exception():
    def shape_of(x):
        return x.shape[4]

    assert failure(call, shape_of, np.zeros((2, 3)), raised_hint="a 5-D x is a batch").endswith(
        "Hint: a 5-D x is a batch")
    assert failure(check_array, "y", np.zeros(2, np.float64), np.zeros(2, np.float32), dtype=np.float32,
                   hint="values", dtype_hint="keep float32").endswith("Hint: keep float32")
