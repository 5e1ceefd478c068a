"""Lesson 07's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md. The written answers
(Exercises 2, 4 and 6) are graded by hand and have no corpus.
"""

SEPARABLE_RATIO = """
def separable_ratio(in_channels, out_channels, kernel_size, output_size):
    k1, k2 = kernel_size
    h, w = output_size
    ordinary = k1 * k2 * in_channels * h * w * out_channels
    return ({separable}) {divide} ordinary
"""
RATIO_RIGHT = dict(separable="k1 * k2 * in_channels * h * w + in_channels * h * w * out_channels", divide="/")

CONV3D_SHAPE = """
def conv3d_output_shape(input_shape, weight_shape, stride=1, padding=0):
    {unpack}
    c_out, c_in, kd, kh, kw = weight_shape
    s = (stride,) * 3 if isinstance(stride, int) else stride
    p = (padding,) * 3 if isinstance(padding, int) else padding
    sizes = ({sizes})
    return {result}
"""
SHAPE_RIGHT = dict(unpack="*n, _, d, h, w = input_shape",
                   sizes="(d + 2 * p[0] - kd) // s[0] + 1, (h + 2 * p[1] - kh) // s[1] + 1, "
                         "(w + 2 * p[2] - kw) // s[2] + 1",
                   result="(*n, c_out, *sizes)")

TRANSPOSED_2X2 = """
def transposed_2x2(x, w, stride=1, padding=0):
    kh, kw = w.shape
    s, p = stride, padding
    out = np.zeros(({size}), dtype={dtype})
    for i in range(2):
        for j in range(2):
            out[{row}:{row} + kh, {col}:{col} + kw] {add} x[i, j] * {kernel}
    return {crop}
"""
TRANSPOSED_RIGHT = dict(size="s + kh, s + kw", dtype="x.dtype", row="i * s", col="j * s", add="+=", kernel="w",
                        crop="out[p:out.shape[0] - p, p:out.shape[1] - p]")

# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    # the simplified ratio: the input size and C_I cancel
    "separable_ratio": "def separable_ratio(in_channels, out_channels, kernel_size, output_size):\n"
                       "    return 1 / out_channels + 1 / (kernel_size[0] * kernel_size[1])\n",
    # a loop over the axes, numpy ints turned back into a tuple of Python ints
    "conv3d_output_shape": """
def conv3d_output_shape(input_shape, weight_shape, stride=1, padding=0):
    spatial = np.array(input_shape[-3:])
    kernel = np.array(weight_shape[2:])
    s, p = np.broadcast_to(stride, 3), np.broadcast_to(padding, 3)
    sizes = (spatial + 2 * p - kernel) // s + 1
    return tuple(int(v) for v in [*input_shape[:-4], weight_shape[0], *sizes])
""",
    # the lecture's way: z = s - 1 zeros between, p' = k - p - 1 around, stride 1, the kernel flipped
    "transposed_2x2": """
def transposed_2x2(x, w, stride=1, padding=0):
    kh, kw = w.shape
    stretched = np.zeros((stride + 1, stride + 1), dtype=x.dtype)
    stretched[::stride, ::stride] = x  # z = s - 1 zeros between the rows and between the columns
    ph, pw = kh - padding - 1, kw - padding - 1  # p' = k - p - 1; negative: crop instead
    padded = np.pad(stretched, ((max(ph, 0), max(ph, 0)), (max(pw, 0), max(pw, 0))))
    padded = padded[max(-ph, 0):padded.shape[0] - max(-ph, 0), max(-pw, 0):padded.shape[1] - max(-pw, 0)]
    flipped = w[::-1, ::-1]
    rows, cols = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.empty((rows, cols), dtype=x.dtype)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(padded[i:i + kh, j:j + kw] * flipped)
    return out
""",
}

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    # separable_ratio
    ("test_separable_ratio_lecture",
     SEPARABLE_RATIO.format(**{**RATIO_RIGHT, "separable": "in_channels * h * w * out_channels"}),
     ["the lecture's example: expected 0.0439063, got 0.04", "the separable layer costs the depthwise K1*K2*C_I*W*H"
      " plus the pointwise C_I*W*H*C_O", "53,952 / 1,228,800"]),
    ("test_separable_ratio_lecture",
     SEPARABLE_RATIO.format(**{**RATIO_RIGHT, "separable": "k1 * k2 * in_channels * h * w"}),
     ["the lecture's example: expected 0.0439063, got 0.00390625", "plus the pointwise C_I*W*H*C_O"]),
    ("test_separable_ratio_lecture", SEPARABLE_RATIO.format(**{**RATIO_RIGHT, "divide": "//"}),
     ["expected 0.0439063, got 0 (a difference of 0.0439)"]),
    ("test_separable_ratio_edges",
     "def separable_ratio(in_channels, out_channels, kernel_size, output_size):\n"
     "    return 1 / out_channels + 1 / kernel_size[0] ** 2\n",
     ["separable_ratio(64, 64, (1, 7), (17, 17)): expected 0.158482, got 1.01562", "K1*K2 = 7 taps"]),
    ("test_separable_ratio_lecture",
     "from convlib.counting import depthwise_separable_ratio\n"
     "def separable_ratio(in_channels, out_channels, kernel_size, output_size):\n"
     "    return depthwise_separable_ratio(out_channels, kernel_size)\n",
     ["it calls convlib.counting.depthwise_separable_ratio, the reference"]),
    # conv3d_output_shape
    ("test_conv3d_output_shape_depth",
     CONV3D_SHAPE.format(**{**SHAPE_RIGHT, "result": "(*n, c_out, *sizes[1:])"}),
     ["conv3d_output_shape((2, 6, 7, 7), (4, 2, 3, 3, 3)): expected (4, 4, 5, 5), got (4, 5, 5)",
      "a 3D kernel also slides along depth"]),
    ("test_conv3d_output_shape_depth",
     CONV3D_SHAPE.format(**{**SHAPE_RIGHT, "result": "(*n, c_in, *sizes)"}),
     ["expected (4, 4, 5, 5), got (2, 4, 5, 5)", "C_out is weight_shape[0]"]),
    ("test_conv3d_output_shape_depth", CONV3D_SHAPE.format(**{**SHAPE_RIGHT, "result": "[*n, c_out, *sizes]"}),
     ["expected the tuple (4, 4, 5, 5), got [4, 4, 5, 5] of type list"]),
    ("test_conv3d_output_shape_stride_padding",
     CONV3D_SHAPE.format(**{**SHAPE_RIGHT, "sizes": "d - kd + 1, (h + 2 * p[1] - kh) // s[1] + 1, "
                                                     "(w + 2 * p[2] - kw) // s[2] + 1"}),
     ["padding=1): expected (64, 16, 112, 112), got (64, 14, 112, 112)", "D_out = (D + 2 * p_D - kD) // s_D + 1"]),
    ("test_conv3d_output_shape_batch",
     CONV3D_SHAPE.format(**{**SHAPE_RIGHT, "unpack": "_, d, h, w = input_shape[-4:]", "result": "(c_out, *sizes)"}),
     ["conv3d_output_shape((8, 3, 4, 6, 6), (5, 3, 3, 3, 3), stride=1, padding=1): expected (8, 5, 4, 6, 6), got "
      "(5, 4, 6, 6)", "keep N in front"]),
    ("test_conv3d_output_shape_depth",
     "import convlib\n" + CONV3D_SHAPE.format(**{
         **SHAPE_RIGHT, "sizes": "tuple(convlib.conv_output_size(i, k, a, b) for i, k, a, b in "
                                 "zip((d, h, w), (kd, kh, kw), s, p))"}),
     ["it calls convlib.conv_output_size, the reference"]),
    # transposed_2x2
    ("test_transposed_2x2_stride1", TRANSPOSED_2X2.format(**{**TRANSPOSED_RIGHT, "add": "="}),
     ["5 of 9 elements are wrong; the first at index (0, 1): expected 3, got 2", "the centre gets all four"]),
    ("test_transposed_2x2_stride1", TRANSPOSED_2X2.format(**{**TRANSPOSED_RIGHT, "kernel": "w[::-1, ::-1]"}),
     ["with a random 3x2 kernel", "not flipped"]),
    ("test_transposed_2x2_stride1", TRANSPOSED_2X2.format(**{**TRANSPOSED_RIGHT, "dtype": "float"}),
     ["in float32: expected dtype float32, got dtype float64", "np.zeros(..., dtype=x.dtype)"]),
    # the copies tiled k apart instead of s apart: right only where s = k
    ("test_transposed_2x2_stride", TRANSPOSED_2X2.format(**{**TRANSPOSED_RIGHT, "row": "i * kh", "col": "j * kw"}),
     ["with a random 2x2 kernel, stride=3: 19 of 25 elements are wrong", "copy (i, j) starts at (i*s, j*s)"]),
    ("test_transposed_2x2_padding",
     TRANSPOSED_2X2.format(**{**TRANSPOSED_RIGHT, "crop": "np.pad(out, p)"}),
     ["stride=2, padding=1: expected shape (3, 3), got shape (7, 7)", "padding crops the output, it does not pad it"]),
    ("test_transposed_2x2_stride1",
     "import convlib\ndef transposed_2x2(x, w, stride=1, padding=0):\n"
     "    return convlib.conv_transpose2d(x[None, None], w[None, None], stride=stride, padding=padding)[0, 0]\n",
     ["it calls convlib.conv_transpose2d, the reference"]),
    ("test_transposed_2x2_padding",
     "import torch\ndef transposed_2x2(x, w, stride=1, padding=0):\n"
     "    t = torch.nn.functional.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],\n"
     "                                             stride=stride, padding=padding)\n"
     "    return t[0, 0].numpy()\n",
     ["it uses torch (torch.", "the reference"]),
]
