"""Lesson 01's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md.
"""

CONV2D_SINGLE = """
def conv2d_single(x, w, b=0.0, stride=1, padding=0):
    xp = {pad}
    kh, kw = np.shape(w)
    return np.array([[np.sum(xp[i:i + kh, j:j + kw] * {kernel}) + b for j in range(0, xp.shape[1] - kw + 1, {step})]
                     for i in range(0, xp.shape[0] - kh + 1, {step})])
"""
SINGLE_RIGHT = dict(pad="np.pad(np.asarray(x, float), padding)", kernel="w", step="stride")

CONV2D_MULTI = """
def conv2d_multi(x, w, b=None, stride=1, padding=0):
    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding)))
    c_out, c_in, kh, kw = np.shape(w)
    return np.array([[[np.sum(xp[:, i:i + kh, j:j + kw] * w[o]) {bias} for j in range(0, xp.shape[2] - kw + 1, stride)]
                      for i in range(0, xp.shape[1] - kh + 1, stride)] for o in range({maps})])
"""
MULTI_RIGHT = dict(bias="+ (0 if b is None else b[o])", maps="c_out")

CONV1D = """
def conv1d(x, w, b=None, stride=1, padding=0):
    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding)))
    c_out, c_in, k = np.shape(w)
    out = np.array([[np.sum(xp[:, t:t + k] * {kernel}) for t in range(0, xp.shape[1] - k + 1, {step})]
                    for o in range(c_out)])
    return out {bias}
"""
CONV1D_RIGHT = dict(kernel="w[o]", step="stride", bias="if b is None else out + np.asarray(b)[:, None]")


def output_size(body: str) -> str:
    return f"def output_size(i, k, s=1, p=0, d=1):\n    {body}\n"


# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "output_size": output_size("return int((i + 2 * p - d * (k - 1) - 1) / s) + 1  # int() floors what is >= 0"),
    "conv2d_single": CONV2D_SINGLE.format(**SINGLE_RIGHT),
    "conv2d_multi": CONV2D_MULTI.format(**MULTI_RIGHT),
    # built on the student's own 2D function: a signal is a map of height 1, padded along its length only
    "conv1d": "def conv1d(x, w, b=None, stride=1, padding=0):\n"
              "    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding)))\n"
              "    return conv2d_multi(xp[:, None, :], np.asarray(w, float)[:, :, None, :], b, stride, 0)[:, 0, :]\n",
}

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    ("test_output_size_basic", output_size("pass"), ["expected the int 3, got None"]),
    ("test_output_size_padding_stride", output_size("return (i + 2 * p - k) / s + 1"),
     ["output_size(5, 3, s=1, p=1): expected the int 5, got 5.0 of type float",
      "Hint: a size or a count is a whole number"]),
    ("test_output_size_padding_stride", output_size("return (i - k) // s + 1"),
     ["output_size(5, 3, s=1, p=1): expected 5, got 3", "Hint: p = 1 on each side"]),
    ("test_output_size_dilation", output_size("return (i + 2 * p - k) // s + 1"),
     ["output_size(7, 3, s=1, p=0, d=2): expected 3, got 5", "span 5"]),
    ("test_output_size_basic", "import convlib\n" + output_size("return convlib.conv_output_size(i, k, s, p, d)"),
     ["it calls convlib.conv_output_size, the reference"]),
    ("test_conv2d_single_shape", "def conv2d_single(x, w, b=0.0, stride=1, padding=0):\n    np.zeros(3)\n",
     ["got None", "does your function end with `return`?"]),
    ("test_conv2d_single_values", CONV2D_SINGLE.format(**{**SINGLE_RIGHT, "kernel": "w[::-1, ::-1]"}),
     ["9 of 9 elements are wrong; the first at index (0, 0): expected -4.5, got 5.5", "do not flip the kernel"]),
    ("test_conv2d_single_padding", CONV2D_SINGLE.format(**{**SINGLE_RIGHT, "pad": "np.asarray(x, float)"}),
     ["padding=1): expected shape (3, 3), got shape (1, 1)", "the corner window covers 4 ones"]),
    ("test_conv2d_single_stride", CONV2D_SINGLE.format(**{**SINGLE_RIGHT, "step": "1"}),
     ["stride=2): expected shape (2, 2), got shape (4, 4)", "windows start at rows and columns 0 and 2"]),
    ("test_conv2d_single_values",
     "import convlib\ndef conv2d_single(x, w, b=0.0, stride=1, padding=0):\n"
     "    return convlib.conv2d(x[None], w[None, None], stride=stride, padding=padding)[0] + b\n",
     ["it calls convlib.conv2d, the reference"]),
    ("test_conv2d_multi_shape", CONV2D_MULTI.format(**{**MULTI_RIGHT, "maps": "c_in"}),
     ["w (4, 3, 3, 3), stride=1, padding=0: expected shape (4, 4, 4), got shape (3, 4, 4)", "C_out is w.shape[0]"]),
    ("test_conv2d_multi_convlib", CONV2D_MULTI.format(**{**MULTI_RIGHT, "bias": ""}),
     ["1 of 1 elements are wrong; the first at index (0, 0, 0): expected 28, got 27", "then adds b[o]"]),
    ("test_conv2d_multi_torch", "def conv2d_multi(x, w, b=None, stride=1, padding=0):\n    raise NotImplementedError\n",
     ["conv2d_multi is not written yet"]),
    ("test_conv2d_multi_torch",
     "import torch\ndef conv2d_multi(x, w, b=None, stride=1, padding=0):\n"
     "    t = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w),\n"
     "                                   None if b is None else torch.from_numpy(b), stride, padding)\n"
     "    return t[0].numpy()\n",
     ["it uses torch (torch.Tensor.__getitem__), the reference"]),
    ("test_conv1d_shape", CONV1D.format(**{**CONV1D_RIGHT, "step": "1"}),
     ["w (2, 3, 4), stride=2, padding=0: expected shape (2, 3), got shape (2, 6)", "2.5 rounds down to 2"]),
    ("test_conv1d_values", CONV1D.format(**{**CONV1D_RIGHT, "kernel": "w[o][:, ::-1]"}),
     ["4 of 4 elements are wrong; the first at index (0, 0): expected -1.5, got 2.5", "do not flip the kernel"]),
    ("test_conv1d_values", CONV1D.format(**{**CONV1D_RIGHT, "bias": ""}),
     ["expected -1.5, got -2", "+ b[o]: -2 + 0.5 everywhere"]),
    ("test_conv1d_values",
     "def conv1d(x, w, b=None, stride=1, padding=0):\n"
     "    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding)))\n"
     "    out = np.array([sum(np.convolve(xp[c], w[o, c][::-1], 'valid') for c in range(xp.shape[0]))\n"
     "                    for o in range(w.shape[0])])[:, ::stride]\n"
     "    return out if b is None else out + np.asarray(b)[:, None]\n",
     ["it calls numpy.convolve, the reference"]),
    ("test_conv1d_stride_padding",
     "import torch\ndef conv1d(x, w, b=None, stride=1, padding=0):\n"
     "    t = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(w),\n"
     "                                   None if b is None else torch.from_numpy(b), stride, padding)\n"
     "    return t.numpy()\n",
     ["it uses torch (torch.", "the reference"]),
]
