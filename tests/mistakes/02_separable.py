"""Lesson 02's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md.
"""


def conv_cost(body: str) -> str:
    return f"def conv_cost(c_in, c_out, kernel_size, output_size):\n    (k1, k2), (h, w) = kernel_size, output_size\n" \
           f"    {body}\n"


def separable_cost(body: str) -> str:
    return f"def separable_cost(c_in, c_out, kernel_size, output_size):\n" \
           f"    (k1, k2), (h, w) = kernel_size, output_size\n    {body}\n"


# Loops over the output positions, as the lesson asks; {pad}, {kernels} and {total} are where the mistakes go.
DEPTHWISE = """
def depthwise_conv2d(x, w, stride=1, padding=0):
    x, w = np.asarray(x), np.asarray(w)
    kh, kw = w.shape[2:]
    xp = np.pad(x, {pad})
    h_out, w_out = (xp.shape[-2] - kh) // stride + 1, (xp.shape[-1] - kw) // stride + 1
    out = np.zeros(x.shape[:-2] + (h_out, w_out){dtype})
    for i in range(h_out):
        for j in range(w_out):
            window = xp[..., i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[..., i, j] = {total}
    return out
"""
DEPTHWISE_RIGHT = dict(pad="[(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2", dtype=", dtype=np.result_type(x, w)",
                       total="np.sum(window * w[:, 0], axis=(-2, -1))")

# The solution's depthwise_conv2d is defined when this runs (every answer cell is), and may be called.
SEPARABLE = """
def depthwise_separable_conv2d(x, w_depthwise, w_pointwise, stride=1, padding=0):
    mix = np.asarray(w_pointwise)[:, :, 0, 0]  # (C_out, C_in)
    {body}
"""
POINTWISE = "np.moveaxis(np.tensordot(mix, {maps}, axes=([1], [-3])), 0, -3)"  # (..., C_out, H, W)


def my_layer(layer: str, ratio: str) -> str:
    return f"def my_layer():\n    c_in, c_out, (k1, k2), (h, w) = layer = {layer}\n    return layer, {ratio}\n"


FEATURES_6 = "(256, 512, (3, 3), (14, 14))"  # 28x28 in, stride 2
RATIO = "(k1 * k2 * c_in * h * w + c_in * h * w * c_out) / (k1 * k2 * c_in * h * w * c_out)"

# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "conv_cost": "import math\n\ndef conv_cost(c_in, c_out, kernel_size, output_size):\n"
                 "    return math.prod(kernel_size) * c_in * math.prod(output_size) * c_out\n",
    "separable_cost": separable_cost("return c_in * h * w * (k1 * k2 + c_out)  # C_I*W*H is common to both steps"),
    # windows as a strided view, one einsum over the taps: no Python loop over positions
    "depthwise_conv2d": """
def depthwise_conv2d(x, w, stride=1, padding=0):
    x, w = np.asarray(x), np.asarray(w)
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2)
    windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(-2, -1))[..., ::stride, ::stride, :, :]
    return np.einsum("...chwij,cij->...chw", windows, w[:, 0]).astype(np.result_type(x, w))
""",
    "depthwise_separable_conv2d": SEPARABLE.format(
        body="return " + POINTWISE.format(maps="depthwise_conv2d(x, w_depthwise, stride, padding)")),
    # lists instead of tuples, the last layer, the ratio from 1/C_O + 1/(K1*K2)
    "my_layer": "def my_layer():\n    layer = [1024, 1024, [3, 3], [7, 7]]\n"
                "    return layer, 1 / layer[1] + 1 / (layer[2][0] * layer[2][1])\n",
}

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    # conv_cost
    ("test_conv_cost_example", conv_cost("return k1 * k2 * c_in * c_out  # the weights, not the multiply-adds"),
     ["conv_cost(3, 256, (5, 5), (8, 8)): expected 1228800, got 19200", "for each of the W*H*C_O output elements"]),
    ("test_conv_cost_shapes", conv_cost("return k1 * k1 * c_in * h * w * c_out  # a square kernel assumed"),
     ["conv_cost(2, 3, (1, 3), (4, 5)): expected 360, got 120", "a 1x3 kernel on 2 maps is 6 products"]),
    ("test_conv_cost_shapes", conv_cost("return k1 * k2 * h * w * c_out  # C_I left out"),
     ["conv_cost(2, 3, (1, 3), (4, 5)): expected 360, got 180", "on 2 maps"]),
    ("test_conv_cost_example",
     "from convlib import counting\n\n"
     + conv_cost("return counting.conv_mult_adds(c_in, c_out, kernel_size, output_size)"),
     ["it calls convlib.counting.conv_mult_adds, the reference"]),
    # separable_cost
    ("test_separable_cost_example", separable_cost("return c_in * h * w * c_out  # the pointwise step alone"),
     ["separable_cost(3, 256, (5, 5), (8, 8)): expected 53952, got 49152", "depthwise 5*5*3*8*8 = 4,800 plus"]),
    ("test_separable_cost_example",
     separable_cost("return k1 * k2 * c_in * h * w * c_out + c_in * h * w * c_out  # a kernel per output map"),
     ["expected 53952, got 1277952", "the slide's 52,952 is a slip"]),
    ("test_separable_cost_shapes", separable_cost("return k1 * k1 * c_in * h * w + c_in * h * w * c_out"),
     ["separable_cost(2, 3, (1, 3), (4, 5)): expected 240, got 160", "depthwise 1*3 * 2 maps"]),
    ("test_separable_cost_example",
     "import convlib.counting\n\n" + separable_cost(
         "return convlib.counting.depthwise_separable_mult_adds(c_in, c_out, kernel_size, output_size)"),
     ["it calls convlib.counting.depthwise_separable_mult_adds, the reference"]),
    # depthwise_conv2d
    ("test_depthwise_conv2d_shape",
     DEPTHWISE.format(**{**DEPTHWISE_RIGHT, "total": "np.sum(window * w[:, 0], axis=(-3, -2, -1))"}).replace(
         "x.shape[:-2]", "x.shape[:-3]"),  # lesson 1's conv2d with one filter: the maps summed into one
     ["depthwise_conv2d of x (3, 6, 6) with w (3, 1, 3, 3), stride=1, padding=0: expected shape (3, 4, 4), "
      "got shape (4, 4)", "nothing summed across the maps"]),
    ("test_depthwise_conv2d_channels",
     DEPTHWISE.format(**{**DEPTHWISE_RIGHT, "total": "np.sum(window * w[:, 0], axis=(-3, -2, -1))[..., None]"}),
     ["3 of 3 elements are wrong; the first at index (0, 0, 0): expected 9, got 54", "a sum across the maps gives 54"]),
    ("test_depthwise_conv2d_channels",
     DEPTHWISE.format(**{**DEPTHWISE_RIGHT, "total": "np.sum(window * w[0, 0], axis=(-2, -1))"}),
     ["depthwise_conv2d of random x (4, 5, 6) with w (4, 1, 3, 3): ", "not w[0, 0] for all"]),
    ("test_depthwise_conv2d_stride_padding", DEPTHWISE.format(**{**DEPTHWISE_RIGHT, "pad": "0"}),
     ["stride=2, padding=1, against torch: expected shape (3, 4, 4), got shape (3, 3, 3)",
      "with `padding` zeros on each side"]),
    ("test_depthwise_conv2d_batch",
     DEPTHWISE.format(**{**DEPTHWISE_RIGHT, "pad": "((0, 0), (padding, padding), (padding, padding))"}),
     ["depthwise_conv2d(array (2, 3, 5, 5), array (3, 1, 3, 3)): your function raised ValueError",
      "run your function on these arguments in the scratch cell"]),
    ("test_depthwise_conv2d_batch",
     DEPTHWISE.format(**DEPTHWISE_RIGHT).replace("    x, w = np.asarray(x), np.asarray(w)\n",
                                                 "    x, w = np.asarray(x), np.asarray(w)\n"
                                                 "    x = x[0] if x.ndim == 4 else x  # the first image only\n"),
     ["x (2, 3, 5, 5) with w (3, 1, 3, 3): expected shape (2, 3, 3, 3), got shape (3, 3, 3)",
      "the batch axis comes first"]),
    ("test_depthwise_conv2d_dtype", DEPTHWISE.format(**{**DEPTHWISE_RIGHT, "dtype": ""}),
     ["expected dtype float32, got dtype float64", "np.zeros alone makes float64"]),
    ("test_depthwise_conv2d_channels",
     "import convlib\n\ndef depthwise_conv2d(x, w, stride=1, padding=0):\n"
     "    return convlib.depthwise_conv(x, w, stride=stride, padding=padding)\n",
     ["it calls convlib.depthwise_conv, the reference"]),
    # depthwise_separable_conv2d
    ("test_depthwise_separable_conv2d_order",
     SEPARABLE.format(body="return depthwise_conv2d(" + POINTWISE.format(maps="np.asarray(x)")
                      + ", w_depthwise, stride, padding)  # pointwise first"),
     ["1 of 2 elements are wrong; the first at index (1, 0, 0): expected 9, got 18",
      "the other order computes something else"]),
    ("test_depthwise_separable_conv2d_shape",
     SEPARABLE.format(body="return depthwise_conv2d(x, w_depthwise, stride, padding)  # no pointwise step"),
     ["w_pointwise (5, 3, 1, 1), stride=1, padding=0: expected shape (5, 4, 4), got shape (3, 4, 4)",
      "the pointwise step makes C_out = w_pointwise.shape[0] maps"]),
    ("test_depthwise_separable_conv2d_torch",
     SEPARABLE.format(body="d = depthwise_conv2d(x, w_depthwise, stride, padding)\n"
                           "    return " + POINTWISE.format(maps="d") + "[..., ::stride, ::stride]  # strided twice"),
     ["stride=2, padding=1, against torch: expected shape (2, 4, 4, 3), got shape (2, 4, 2, 2)",
      "stride and padding are the depthwise step's"]),
    ("test_depthwise_separable_conv2d_order",
     "import torch\nF = torch.nn.functional\n\n"
     "def depthwise_separable_conv2d(x, w_depthwise, w_pointwise, stride=1, padding=0):\n"
     "    d = F.conv2d(torch.from_numpy(x), torch.from_numpy(w_depthwise), stride=stride, padding=padding,\n"
     "                 groups=len(w_depthwise))\n"
     "    return F.conv2d(d, torch.from_numpy(w_pointwise)).numpy()\n",
     ["it uses torch (torch.conv2d), the reference"]),
    # my_layer
    ("test_my_layer_ratio", my_layer(FEATURES_6, f"1 / ({RATIO})  # how many times fewer, not the fraction"),
     ["the ratio of my_layer()'s layer (256, 512, (3, 3), (14, 14)): expected 0.113064, got 8.84453",
      "a fraction below 1"]),
    ("test_my_layer_ratio", my_layer(FEATURES_6, "1 / c_out + 1 / k1  # the kernel's side, not its area"),
     ["expected 0.113064, got 0.335286", "1/C_O + 1/(K1*K2)"]),
    ("test_my_layer_mobilenet", my_layer("(256, 512, (3, 3), (28, 28))  # the input's size", RATIO),
     ["my_layer()'s layer (256, 512, (3, 3), (28, 28)): it is not one of MobileNet's depthwise separable layers",
      "after the depthwise step's stride"]),
    ("test_my_layer_mobilenet", my_layer("(256.0, 512.0, (3.0, 3.0), (14.0, 14.0))", RATIO),
     ["my_layer()'s c_in: expected the int 256, got 256.0 of type float"]),
    ("test_my_layer_ratio", "def my_layer():\n    return 1 / 512 + 1 / 9\n",
     ["my_layer(): expected a pair (layer, ratio), got 0.113", "end with `return layer, ratio`"]),
    ("test_my_layer_ratio",
     "from convlib import counting\n\n" + my_layer(FEATURES_6, "counting.depthwise_separable_ratio(c_out, (k1, k2))"),
     ["it calls convlib.counting.depthwise_separable_ratio, the reference"]),
]
