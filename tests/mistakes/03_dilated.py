"""Lesson 03's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md.
"""

DILATE_KERNEL = """
def dilate_kernel(w, d):
    w = np.asarray(w)
    kh, kw = w.shape[-2:]
    out = np.zeros({shape}, dtype={dtype})
    for m in range(kh):
        for n in range(kw):
            out[..., {at}] = w[..., m, n]
    return out
"""
KERNEL_RIGHT = dict(shape="w.shape[:-2] + (d * kh - d + 1, d * kw - d + 1)", dtype="w.dtype", at="m * d, n * d")

# A loop over the output positions, each window (N, C_in, kH', kW') against the whole dilated kernel.
DILATED_CONV2D = """
def dilated_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    x, w = np.asarray(x), np.asarray(w)
    wd = {kernel}
    c_out, c_in, kh, kw = wd.shape
    xp = {pad}
    h_out = (xp.shape[2] - kh) // {stride} + 1
    w_out = (xp.shape[3] - kw) // {stride} + 1
    out = np.zeros((x.shape[0], c_out, h_out, w_out), dtype={dtype})
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, i * {stride}:i * {stride} + kh, j * {stride}:j * {stride} + kw]
            out[:, :, i, j] = np.tensordot(window, wd, axes=([1, 2, 3], [1, 2, 3])) {bias}
    return out
"""
CONV_RIGHT = dict(kernel="dilate_kernel(w, dilation)",
                  pad="np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))",
                  stride="stride", dtype="np.result_type(x, w)", bias="+ (0 if b is None else b)")

RECEPTIVE_FIELD = """
def receptive_field(layers):
    r, j = 1, 1
    for k, s, d in layers:
        {body}
    return r
"""


def receptive_field(body: str) -> str:
    return RECEPTIVE_FIELD.format(body=body.replace("\n", "\n        "))


# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "dilate_kernel": DILATE_KERNEL.format(**KERNEL_RIGHT),
    # It calls the student's own dilate_kernel, as the exercise allows.
    "dilated_conv2d": DILATED_CONV2D.format(**CONV_RIGHT),
    # From the top down: the r outputs of a layer need (r - 1)s + d(k - 1) + 1 of its inputs.
    "receptive_field": "def receptive_field(layers):\n    r = 1\n    for k, s, d in reversed(layers):\n"
                       "        r = (r - 1) * s + d * (k - 1) + 1\n    return r\n",
}

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    # dilate_kernel
    ("test_dilate_kernel_shape",
     DILATE_KERNEL.format(**{**KERNEL_RIGHT, "shape": "w.shape[:-2] + ((d + 1) * (kh - 1) + 1, (d + 1) * (kw - 1) + 1)",
                             "at": "m * (d + 1), n * (d + 1)"}),
     ["dilate_kernel(w, 2) of a 3x3 kernel: expected shape (5, 5), got shape (7, 7)",
      "one zero between neighbours"]),
    ("test_dilate_kernel_shape",
     "def dilate_kernel(w, d):\n    corner = np.zeros((d, d))\n    corner[0, 0] = 1\n    return np.kron(w, corner)\n",
     ["dilate_kernel(w, 2) of a 3x3 kernel: expected shape (5, 5), got shape (6, 6)", "none outside"]),
    ("test_dilate_kernel_values",
     "def dilate_kernel(w, d):\n    kh, kw = np.shape(w)[-2:]\n"
     "    return np.repeat(np.repeat(w, d, axis=-2), d, axis=-1)[..., :d * (kh - 1) + 1, :d * (kw - 1) + 1]\n",
     ["dilate_kernel([[1, 2], [3, 4]], 2)", "the first at index (0, 1): expected 0, got 1",
      "expected [[1, 0, 2], [0, 0, 0], [3, 0, 4]]"]),
    ("test_dilate_kernel_values",
     "import convlib\ndef dilate_kernel(w, d):\n    return convlib.dilate_kernel(np.asarray(w)[None, None], d)[0, 0]\n",
     ["it calls convlib.dilate_kernel, the reference"]),
    ("test_dilate_kernel_layer",
     "def dilate_kernel(w, d):\n    w = np.asarray(w)\n"
     "    out = np.zeros(tuple(d * (k - 1) + 1 for k in w.shape), w.dtype)\n"
     "    out[tuple(slice(None, None, d) for _ in w.shape)] = w\n    return out\n",
     ["(4, 3, 3, 3): expected shape (4, 3, 5, 5), got shape (7, 5, 5, 5)", "spread only the last two axes"]),
    ("test_dilate_kernel_layer", DILATE_KERNEL.format(**{**KERNEL_RIGHT, "dtype": "float"}),
     ["expected dtype float32, got dtype float64", "np.zeros makes float64 unless told"]),
    # dilated_conv2d
    ("test_dilated_conv2d_shape", DILATED_CONV2D.format(**{**CONV_RIGHT, "kernel": "w"}),
     ["dilation=2: expected shape (1, 1, 3, 3), got shape (1, 1, 5, 5)", "the 3x3 kernel with d = 2 spans 5"]),
    ("test_dilated_conv2d_values", DILATED_CONV2D.format(**{**CONV_RIGHT, "bias": ""}),
     ["b (3,), padding=2, dilation=2: 126 of 126 elements are wrong", "add b[o] to output map o"]),
    ("test_dilated_conv2d_values", DILATED_CONV2D.format(**{**CONV_RIGHT, "pad": "x"}),
     ["padding=2, dilation=2: expected shape (1, 3, 6, 7), got shape (1, 3, 2, 3)", "pad with `padding` zeros"]),
    ("test_dilated_conv2d_stride", DILATED_CONV2D.format(**{**CONV_RIGHT, "stride": "1"}),
     ["stride=2, dilation=2: expected shape (1, 1, 3, 3), got shape (1, 1, 5, 5)", "do not mix the two steps up"]),
    ("test_dilated_conv2d_torch", DILATED_CONV2D.format(**{**CONV_RIGHT, "dtype": "float"}),
     ["float32 batch x (2, 3, 8, 8)", "expected dtype float32, got dtype float64", "np.zeros(..., dtype=x.dtype)"]),
    ("test_dilated_conv2d_values",
     "import convlib\ndef dilated_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):\n"
     "    return convlib.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)\n",
     ["it calls convlib.conv2d, the reference"]),
    ("test_dilated_conv2d_torch",
     "import torch\ndef dilated_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):\n"
     "    t = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),\n"
     "                                   None if b is None else torch.from_numpy(b), stride, padding, dilation)\n"
     "    return t.numpy()\n",
     ["it uses torch (torch.conv2d), the reference"]),
    # receptive_field
    ("test_receptive_field_plain", receptive_field("r += k * j\nj *= s"),
     ["receptive_field([(3, 1, 1)]): expected 3, got 4", "one 3-tap layer sees 3 inputs"]),
    ("test_receptive_field_plain",
     "def receptive_field(layers):\n    r, j, fields = 1, 1, []\n    for k, s, d in layers:\n"
     "        r += d * (k - 1) * j\n        j *= s\n        fields.append(r)\n    return fields\n",
     ["receptive_field([(3, 1, 1)]): expected the int 3, got [3] of type list"]),
    ("test_receptive_field_dilation", receptive_field("r += (k - 1) * j\nj *= s"),
     ["receptive_field([(3, 1, 2)]): expected 5, got 3", "its span d(k - 1) + 1"]),
    ("test_receptive_field_stride", receptive_field("r += d * (k - 1)"),
     ["receptive_field([(3, 2, 1), (3, 2, 1)]): expected 7, got 5", "after a stride-2 layer the jump is 2"]),
    ("test_receptive_field_networks", receptive_field("r += d * (k - 1)"),
     ["VGG-16 up to pool5", "expected 212, got 32", "keep the jump as you go"]),
    ("test_receptive_field_stride", receptive_field("j *= s\nr += d * (k - 1) * j"),
     ["receptive_field([(3, 2, 1)]): expected 3, got 5", "a layer's own stride does not change its field"]),
    # The top-down recursion of OTHER_RIGHT, run from the bottom up.
    ("test_receptive_field_stride",
     "def receptive_field(layers):\n    r = 1\n    for k, s, d in layers:\n        r = (r - 1) * s + d * (k - 1) + 1\n"
     "    return r\n",
     ["receptive_field([(1, 4, 1), (3, 1, 1)]): expected 9, got 3", "puts outputs 4 apart"]),
    ("test_receptive_field_plain",
     "import convlib\ndef receptive_field(layers):\n    return convlib.receptive_field(layers)\n",
     ["it calls convlib.receptive_field, the reference"]),
]
