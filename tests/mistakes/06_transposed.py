"""Lesson 06's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md.
"""


def output_size(body: str) -> str:
    return f"def conv_transpose_output_size(i, k, s=1, p=0, output_padding=0):\n    {body}\n"


# The scatter, one input element at a time; the fields are what the mistakes below change.
SCATTER = """
def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0):
    {prep}
    n, c_in, h, wd = x.shape
    c_out, kh, kw = w.shape[1:]
    s, p, a = stride, padding, output_padding
    full = np.zeros((n, c_out, (h - 1) * {step} + kh + a, (wd - 1) * {step} + kw + a), dtype={dtype})
    for m in range(n):
        for c in range(c_in):
            for j in range(h):
                for l in range(wd):
                    rows, cols = slice(j * {step}, j * {step} + kh), slice(l * {step}, l * {step} + kw)
                    full[m, :, rows, cols] += x[{image}, c, j, l] * w[c]{flip}
    out = {crop}
    {bias}
    return out
"""
SCATTER_RIGHT = dict(
    prep="x, w = np.asarray(x), np.asarray(w)", step="s", dtype="x.dtype", image="m", flip="",
    crop="full[:, :, p:p + (h - 1) * s + kh - 2 * p + a, p:p + (wd - 1) * s + kw - 2 * p + a]",
    bias="out = out if b is None else out + np.asarray(b).reshape(1, -1, 1, 1)")

# The weight read as conv2d's (C_out, C_in, kH, kW): C_out and C_in swapped.
SCATTER_SWAPPED = """
def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0):
    n, _, h, wd = x.shape
    c_out, c_in, kh, kw = w.shape  # as conv2d's weight
    s, p, a = stride, padding, output_padding
    full = np.zeros((n, c_out, (h - 1) * s + kh + a, (wd - 1) * s + kw + a), dtype=x.dtype)
    for m in range(n):
        for o in range(c_out):
            for c in range(c_in):
                for j in range(h):
                    for l in range(wd):
                        full[m, o, j * s:j * s + kh, l * s:l * s + kw] += x[m, c, j, l] * w[o, c]
    out = full[:, :, p:p + (h - 1) * s + kh - 2 * p + a, p:p + (wd - 1) * s + kw - 2 * p + a]
    return out if b is None else out + b.reshape(1, -1, 1, 1)
"""

# The lecture's construction with list comprehensions; the fields are what the mistakes change.
ZERO_INSERTION = """
def conv_transpose_zero_insertion(x, w, stride=1, padding=0, output_padding=0):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    kh, kw = w.shape
    s, p, a = stride, padding, output_padding
    spread = np.zeros(((x.shape[0] - 1) * {gap} + 1, (x.shape[1] - 1) * {gap} + 1))
    spread[::{gap}, ::{gap}] = x
    padded = np.pad(spread, {pads})
    kernel = {kernel}
    return np.array([[np.sum(padded[i:i + kh, j:j + kw] * kernel) for j in range(padded.shape[1] - kw + 1)]
                     for i in range(padded.shape[0] - kh + 1)])
"""
ZERO_RIGHT = dict(gap="s", pads="((kh - 1 - p, kh - 1 - p + a), (kw - 1 - p, kw - 1 - p + a))",
                  kernel="w[::-1, ::-1]")

MATRIX = """
def conv_matrix(input_shape, w, stride=1, padding=0):
    h, wd = input_shape
    w = np.asarray(w, dtype=float)
    kh, kw = w.shape
    s, p = stride, {pad}
    h_out, w_out = (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1
    rows = []
    for i in range(h_out):
        for j in range(w_out):
            placed = np.zeros((h + 2 * p, wd + 2 * p))
            placed[i * s:i * s + kh, j * s:j * s + kw] = {kernel}
            rows.append(placed[p:p + h, p:p + wd].ravel())
    return np.array(rows){transpose}
"""
MATRIX_RIGHT = dict(pad="padding", kernel="w", transpose="")

# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "conv_transpose_output_size": output_size("return sum([s] * (i - 1)) + k + output_padding - p - p"),
    # Tap by tap (as convlib's fast path): tap (m, q) of every input's copy lands on a strided grid of the output.
    "conv_transpose2d": """
def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0):
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    s, p, a = stride, padding, output_padding
    full = np.zeros((n, c_out, (h - 1) * s + kh + a, (wd - 1) * s + kw + a), dtype=x.dtype)
    for m in range(kh):
        for q in range(kw):
            landed = np.einsum("nchw,co->nohw", x, w[:, :, m, q])  # (N, C_out, H, W)
            full[:, :, m:m + (h - 1) * s + 1:s, q:q + (wd - 1) * s + 1:s] += landed
    h_out, w_out = full.shape[2] - 2 * p, full.shape[3] - 2 * p
    out = full[:, :, p:p + h_out, p:p + w_out]
    return out if b is None else out + b[None, :, None, None]
""",
    "conv_transpose_zero_insertion": """
def conv_transpose_zero_insertion(x, w, stride=1, padding=0, output_padding=0):
    x, w = np.asarray(x, float), np.asarray(w, float)
    (kh, kw), s, p, a = w.shape, stride, padding, output_padding
    corner = np.zeros((s, s))
    corner[0, 0] = 1.0
    spread = np.kron(x, corner)[:(x.shape[0] - 1) * s + 1, :(x.shape[1] - 1) * s + 1]
    padded = np.pad(spread, ((kh - 1 - p, kh - 1 - p + a), (kw - 1 - p, kw - 1 - p + a)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw))  # (H_out, W_out, kH, kW)
    return np.einsum("ijmn,mn->ij", windows, w[::-1, ::-1])
""",
    # Column by column: column r of C is the convolution of the r-th unit input.
    "conv_matrix": """
def conv_matrix(input_shape, w, stride=1, padding=0):
    h, wd = input_shape
    w = np.asarray(w, dtype=float)
    kh, kw = w.shape
    columns = []
    for r in range(h * wd):
        unit = np.zeros(h * wd)
        unit[r] = 1.0
        xp = np.pad(unit.reshape(h, wd), padding)
        out = [[np.sum(xp[i:i + kh, j:j + kw] * w) for j in range(0, xp.shape[1] - kw + 1, stride)]
               for i in range(0, xp.shape[0] - kh + 1, stride)]
        columns.append(np.ravel(out))
    return np.stack(columns, axis=1)
""",
}

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    # conv_transpose_output_size
    ("test_conv_transpose_output_size_lecture", output_size("return (i + 2 * p - k) // s + 1"),
     ["conv_transpose_output_size(3, 3, s=1, p=0): expected 5, got 1", "a convolution's 5 -> 3 turned back"]),
    ("test_conv_transpose_output_size_lecture", output_size("return (i - 1) * s + k + 2 * p"),
     ["conv_transpose_output_size(3, 3, s=2, p=1): expected 5, got 9", "padding crops p = 1 from each side"]),
    ("test_conv_transpose_output_size_lecture", output_size("return (i - 1) * s + k - 2 * p + output_padding / 1"),
     ["expected the int 5, got 5.0 of type float", "a size or a count is a whole number"]),
    ("test_conv_transpose_output_size_output_padding", output_size("return (i - 1) * s + k - 2 * p"),
     ["conv_transpose_output_size(3, 3, s=2, p=1, output_padding=1): expected 6, got 5"]),
    ("test_conv_transpose_output_size_output_padding",
     output_size("return (i - 1) * s + k - 2 * p + 2 * output_padding"),
     ["output_padding=1): expected 6, got 7", "the size 6 that a stride-2 convolution also maps to 3"]),
    ("test_conv_transpose_output_size_lecture",
     "import convlib\n" + output_size("return convlib.conv_transpose_output_size(i, k, s, p, output_padding)"),
     ["it calls convlib.conv_transpose_output_size, the reference this exercise asks you to write yourself"]),
    # conv_transpose2d
    ("test_conv_transpose2d_stride1", SCATTER.format(**{**SCATTER_RIGHT, "flip": "[:, ::-1, ::-1]"}),
     ["9 of 9 elements are wrong; the first at index (0, 0, 0, 0): expected 1, got 1000", "not flipped"]),
    ("test_conv_transpose2d_stride", SCATTER.format(**{**SCATTER_RIGHT, "step": "1"}),
     ["stride=3): expected shape (1, 1, 5, 5), got shape (1, 1, 3, 3)", "row 2 and column 2 get nothing"]),
    ("test_conv_transpose2d_padding", SCATTER.format(**{
        **SCATTER_RIGHT, "prep": "x, w = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))), w",
        "crop": "full"}),
     ["stride=2, padding=1: expected shape (1, 1, 5, 5), got shape (1, 1, 11, 11)", "padding crops",
      "do not pad the input"]),
    ("test_conv_transpose2d_padding", SCATTER.format(**{**SCATTER_RIGHT, "crop": "full"}),
     ["stride=2, padding=1: expected shape (1, 1, 5, 5), got shape (1, 1, 7, 7)", "keep rows 1 .. 5"]),
    ("test_conv_transpose2d_output_padding", SCATTER.format(**{
        **SCATTER_RIGHT,
        "crop": "np.pad(full[:, :, p:full.shape[2] - a - p, p:full.shape[3] - a - p], "
                "((0, 0), (0, 0), (a, a), (a, a)))"}),
     ["output_padding=1: expected shape (1, 1, 6, 6), got shape (1, 1, 7, 7)", "adds nothing at the start"]),
    ("test_conv_transpose2d_output_padding", SCATTER.format(**{
        **SCATTER_RIGHT,
        "crop": "np.pad(full[:, :, p:full.shape[2] - a - p, p:full.shape[3] - a - p], "
                "((0, 0), (0, 0), (0, a), (0, a)))"}),
     ["11 of 36 elements are wrong; the first at index (0, 0, 0, 5)", "(rows 1 .. 6 of its 7 rows, not zeros)"]),
    ("test_conv_transpose2d_channels", SCATTER_SWAPPED,
     ["w (3, 2, 3, 3), stride=2: expected shape (1, 2, 7, 9), got shape (1, 3, 7, 9)",
      "the weight is (C_in, C_out, kH, kW), the other way round from conv2d's"]),
    ("test_conv_transpose2d_channels", SCATTER.format(**{**SCATTER_RIGHT, "bias": "pass"}),
     ["with a bias (2,), stride=2, padding=1, output_padding=1, against torch", "elements are wrong",
      "add b[o] to every element of output map o"]),
    ("test_conv_transpose2d_batch", SCATTER.format(**{**SCATTER_RIGHT, "dtype": "float"}),
     ["float32 batch", "expected dtype float32, got dtype float64"]),
    ("test_conv_transpose2d_batch", SCATTER.format(**{**SCATTER_RIGHT, "image": "0"}),
     ["elements are wrong; the first at index (1, ", "every image n of the batch is transformed alone"]),
    ("test_conv_transpose2d_stride1",
     "import convlib\ndef conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0):\n"
     "    return convlib.conv_transpose2d(x, w, b, stride, padding, output_padding)\n",
     ["it calls convlib.conv_transpose2d, the reference this exercise asks you to write yourself"]),
    ("test_conv_transpose2d_channels",
     "import torch\ndef conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0):\n"
     "    t = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w),\n"
     "                                             None if b is None else torch.from_numpy(b), stride, padding,\n"
     "                                             output_padding)\n"
     "    return t.numpy()\n",
     ["it uses torch (torch.", "the reference this exercise asks you to write yourself"]),
    # conv_transpose_zero_insertion
    ("test_conv_transpose_zero_insertion_stride1", ZERO_INSERTION.format(**{**ZERO_RIGHT, "kernel": "w"}),
     ["9 of 9 elements are wrong; the first at index (0, 0): expected 1, got 1000",
      "the flipped kernel w[::-1, ::-1]"]),
    ("test_conv_transpose_zero_insertion_stride", ZERO_INSERTION.format(**{**ZERO_RIGHT, "gap": "s + 1"}),
     ["stride=3): expected shape (5, 5), got shape (6, 6)", "insert stride - 1 = 2 zeros between the inputs"]),
    ("test_conv_transpose_zero_insertion_padding",
     ZERO_INSERTION.format(**{**ZERO_RIGHT, "pads": "((p, p + a), (p, p + a))"}),
     ["4x4 kernel, padding=1: expected shape (5, 6), got shape (3, 4)", "k - 1 - p = 4 - 1 - 1 = 2"]),
    ("test_conv_transpose_zero_insertion_padding",
     ZERO_INSERTION.format(**{**ZERO_RIGHT,
                              "pads": "((kh - 1 - p + a, kh - 1 - p + a), (kw - 1 - p + a, kw - 1 - p + a))"}),
     ["output_padding=1: expected shape (4, 4), got shape (5, 5)", "p' + a = 2 after"]),
    ("test_conv_transpose_zero_insertion_stride",
     "import convlib\ndef conv_transpose_zero_insertion(x, w, stride=1, padding=0, output_padding=0):\n"
     "    padded = convlib.zero_insert_and_pad(x[None], w.shape, stride, padding, output_padding)[0]\n"
     "    kh, kw = w.shape\n"
     "    return np.array([[np.sum(padded[i:i + kh, j:j + kw] * w[::-1, ::-1])\n"
     "                      for j in range(padded.shape[1] - kw + 1)] for i in range(padded.shape[0] - kh + 1)])\n",
     ["it calls convlib.zero_insert_and_pad, the reference this exercise asks you to write yourself"]),
    # conv_matrix
    ("test_conv_matrix_shape", MATRIX.format(**{**MATRIX_RIGHT, "transpose": ".T"}),
     ["conv_matrix((3, 3), a random 2x2 kernel, stride=1, padding=0): expected shape (4, 9), got shape (9, 4)",
      "not its transpose"]),
    ("test_conv_matrix_conv", MATRIX.format(**{**MATRIX_RIGHT, "kernel": "w[::-1, ::-1]"}),
     ["conv_matrix((3, 3), [[1, 2], [3, 4]]): 16 of 36 elements are wrong; "
      "the first at index (0, 0): expected 1, got 4",
      "the kernel as it is (not flipped)"]),
    ("test_conv_matrix_transpose", MATRIX.format(**{**MATRIX_RIGHT, "pad": "0"}),
     ["stride=2, padding=1): expected shape (4, 16), got shape (1, 16)", "columns that fall in the padding"]),
    ("test_conv_matrix_conv",
     "import convlib\ndef conv_matrix(input_shape, w, stride=1, padding=0):\n"
     "    return convlib.conv_matrix((1, *input_shape), w[None, None], stride=stride, padding=padding)\n",
     ["it calls convlib.conv_matrix, the reference this exercise asks you to write yourself"]),
]
