"""Lesson 05's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md.
"""


def variant(template: str, right: dict, **changes: str) -> str:
    """``template`` filled with the right answer's pieces, except for ``changes``."""
    return template.format(**{**right, **changes})


# conv3d as the exercise suggests: lesson 01's conv2d_multi pasted above it, and for every output slice the kD 2D
# convolutions of the input slices it reads added up. The {fields} are where the mistakes below differ from it.
CONV3D_SUM_2D = """
def conv2d_multi(x, w, b=None, stride=1, padding=0):
    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding)))
    c_out, c_in, kh, kw = np.shape(w)
    return np.array([[[np.sum(xp[:, i:i + kh, j:j + kw] * w[o]) for j in range(0, xp.shape[2] - kw + 1, stride)]
                      for i in range(0, xp.shape[1] - kh + 1, stride)] for o in range(c_out)])


def conv3d(x, w, b=None, stride=1, padding=0):
    x, w = np.asarray(x), np.asarray(w)
    {batch}
    kd = w.shape[2]
    xd = np.pad(x, ((0, 0), ({depth_pad}, {depth_pad}), (0, 0), (0, 0)))  # the depth padded here, H and W by conv2d
    y = np.stack([sum(conv2d_multi(xd[:, {slice_index}], w[:, :, t], None, stride, padding) for t in range(kd))
                  for d in range(0, xd.shape[1] - kd + 1, {depth_step})], axis=1)
    if b is not None:
        y = y + np.asarray(b)[:, None, None, None]
    return y.astype(x.dtype)
"""
SUM_2D = dict(batch="if x.ndim == 5:\n        return np.stack([conv3d(v, w, b, stride, padding) for v in x])",
              depth_pad="padding", slice_index="d + t", depth_step="stride")

# conv3d written directly, the lecture's way: one (C_in, kD, kH, kW) window per output element.
CONV3D_WINDOWS = """
def conv3d(x, w, b=None, stride=1, padding=0):
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim == 5:
        return np.stack([conv3d(v, w, b, stride, padding) for v in x])
    c_out, c_in, kd, kh, kw = w.shape
    xp = np.pad(x, [(0, 0)] + [(padding, padding)] * 3)
    sizes = [(n - k) // stride + 1 for n, k in zip(xp.shape[1:], (kd, kh, kw))]
    y = np.zeros((c_out, *sizes), dtype={dtype})
    for o in range(c_out):
        for d, i, j in np.ndindex(*sizes):
            window = xp[:, d * stride:d * stride + kd, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[o, d, i, j] = np.sum(window * {kernel}) + (0 if b is None else b[o])
    return y
"""
WINDOWS = dict(dtype="x.dtype", kernel="w[o]")

OUTPUT_SHAPE = """
def output_shape_3d(input_shape, weight_shape, stride=1, padding=0):
    ss, ps = (list(v) if isinstance(v, (tuple, list)) else [v] * 3 for v in (stride, padding))
    n = {batch}
    sizes = [{size} for i, k, s, p in zip({sizes}, weight_shape[2:], {per_axis})]
    return tuple(n + [weight_shape[{channels}]] + sizes)
"""
SHAPE = dict(batch="list(input_shape[:-4])", size="int(np.floor((i + 2 * p - k) / s)) + 1", sizes="input_shape[-3:]",
             per_axis="ss, ps", channels="0")

# The depth left as it is: stride and padding applied to the height and width only.
SHAPE_NO_DEPTH = """
def output_shape_3d(input_shape, weight_shape, stride=1, padding=0):
    ss = stride if isinstance(stride, tuple) else (stride,) * 3
    ps = padding if isinstance(padding, tuple) else (padding,) * 3
    *n, c_in, d, h, w = input_shape
    c_out, _, kd, kh, kw = weight_shape
    return (*n, c_out, d - kd + 1, (h + 2 * ps[1] - kh) // ss[1] + 1, (w + 2 * ps[2] - kw) // ss[2] + 1)
"""

MULT_ADDS = """
import math


def mult_adds_3d(input_shape, weight_shape, stride=1, padding=0):
    c_out, c_in, *kernel = weight_shape
    ss = stride if isinstance(stride, tuple) else (stride,) * 3
    ps = padding if isinstance(padding, tuple) else (padding,) * 3
    out = [{size} for i, k, s, p in zip(input_shape[1:], kernel, ss, ps)]
    return {total}
"""
MULT = dict(size="(i + 2 * p - k) // s + 1", total="c_out * c_in * math.prod(kernel) * math.prod(out)")

# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "conv3d": variant(CONV3D_SUM_2D, SUM_2D),
    "output_shape_3d": variant(OUTPUT_SHAPE, SHAPE),
    "mult_adds_3d": variant(MULT_ADDS, MULT),
}

DELEGATING_TORCH = """
import torch


def conv3d(x, w, b=None, stride=1, padding=0):
    t = torch.nn.functional.conv3d(torch.from_numpy(x), torch.from_numpy(w),
                                   None if b is None else torch.from_numpy(b), stride, padding)
    return t.numpy()
"""

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    # conv3d: the depth of the kernel not slid, the depth not padded or strided, the kernel flipped, float64 out,
    # a batch refused, the stub, delegating calls
    ("test_conv3d_values", variant(CONV3D_SUM_2D, SUM_2D, slice_index="t"),
     ["18 of 27 elements are wrong; the first at index (0, 1, 0, 0): expected 3, got 1",
      "the kernel moves along depth"]),
    ("test_conv3d_shape",  # the depth taken as channels: one window through the whole volume
     "def conv3d(x, w, b=None, stride=1, padding=0):\n"
     "    window = x[:, :w.shape[2], :w.shape[3], :w.shape[4]]\n"
     "    return np.einsum('cdhw,ocdhw->o', window, w)[:, None, None, None]\n",
     ["expected shape (1, 3, 3, 3), got shape (1, 1, 1, 1)", "the output keeps a depth"]),
    ("test_conv3d_padding", variant(CONV3D_SUM_2D, SUM_2D, depth_pad="0"),
     ["padding=1): expected shape (1, 3, 3, 3), got shape (1, 1, 3, 3)", "pad all three axes, the depth too"]),
    ("test_conv3d_stride", variant(CONV3D_SUM_2D, SUM_2D, depth_step="1"),
     ["stride=2): expected shape (1, 2, 2, 2), got shape (1, 4, 2, 2)", "keeps every other slice"]),
    ("test_conv3d_values", variant(CONV3D_WINDOWS, WINDOWS, kernel="w[o, :, ::-1, ::-1, ::-1]"),
     ["conv3d of random x (2, 4, 5, 5), w (3, 2, 2, 3, 3), b (3,)", "do not flip the kernel"]),
    ("test_conv3d_dtype", variant(CONV3D_WINDOWS, WINDOWS, dtype="float"),
     ["conv3d of random float32 x", "expected dtype float32, got dtype float64",
      "build the output with dtype=x.dtype"]),
    ("test_conv3d_batch", variant(CONV3D_SUM_2D, SUM_2D, batch="c_in, depth, height, width = x.shape"),
     ["conv3d(array (2, 2, 4, 4, 4), array (3, 2, 2, 2, 2)",
      "your function raised ValueError: too many values to unpack (expected 4)"]),
    ("test_conv3d_values", "def conv3d(x, w, b=None, stride=1, padding=0):\n    raise NotImplementedError()\n",
     ["conv3d is not written yet"]),
    ("test_conv3d_shape",
     "import convlib\n\n\ndef conv3d(x, w, b=None, stride=1, padding=0):\n"
     "    return convlib.conv3d(x, w, b, stride, padding)\n",
     ["it calls convlib.conv3d, the reference"]),
    ("test_conv3d_dtype", DELEGATING_TORCH, ["it uses torch (torch.conv3d), the reference"]),
    # output_shape_3d: the input's channels, the depth left alone, the axes reversed, floats, a list, the batch
    # lost, a delegating call
    ("test_output_shape_3d_ints", variant(OUTPUT_SHAPE, SHAPE, channels="1"),
     ["expected (16, 8, 32, 32), got (3, 8, 32, 32)", "C_out = 16 is weight_shape[0]"]),
    ("test_output_shape_3d_ints", SHAPE_NO_DEPTH,
     ["padding=1): expected (16, 8, 32, 32), got (16, 6, 32, 32)", "keeps every size, the depth too"]),
    ("test_output_shape_3d_per_axis", SHAPE_NO_DEPTH,
     ["padding=(1, 3, 3)): expected (64, 16, 56, 56), got (64, 14, 56, 56)", "keeps the 16 frames"]),
    ("test_output_shape_3d_per_axis", variant(OUTPUT_SHAPE, SHAPE, per_axis="ss[::-1], ps[::-1]"),
     ["expected (64, 16, 56, 56), got (64, 10, 56, 108)", "(16 + 2 - 3) // 1 + 1 = 16"]),
    ("test_output_shape_3d_ints", variant(OUTPUT_SHAPE, SHAPE, size="(i + 2 * p - k) / s + 1"),
     ["output_shape_3d((1, 4, 4, 4), (1, 1, 3, 3, 3), stride=1, padding=0): expected (1, 2, 2, 2), all ints, "
      "got (1, 2.0, 2.0, 2.0)",
      "a size or a count is a whole number"]),
    ("test_output_shape_3d_ints",
     "def output_shape_3d(input_shape, weight_shape, stride=1, padding=0):\n"
     "    return [weight_shape[0]] + [(i + 2 * padding - k) // stride + 1\n"
     "                                for i, k in zip(input_shape[1:], weight_shape[2:])]\n",
     ["expected the tuple (1, 2, 2, 2), got [1, 2, 2, 2] of type list"]),
    ("test_output_shape_3d_batch", variant(OUTPUT_SHAPE, SHAPE, batch="[]", sizes="input_shape[1:]"),
     ["expected (2, 16, 8, 32, 32), got (16, 3, 8, 32)", "gives (N, C_out, D_out, H_out, W_out)"]),
    ("test_output_shape_3d_per_axis",
     "import convlib\n\n\ndef output_shape_3d(input_shape, weight_shape, stride=1, padding=0):\n"
     "    ss = stride if isinstance(stride, tuple) else (stride,) * 3\n"
     "    ps = padding if isinstance(padding, tuple) else (padding,) * 3\n"
     "    axes = zip(input_shape[-3:], weight_shape[2:], ss, ps)\n"
     "    return (*input_shape[:-4], weight_shape[0], *(convlib.conv_output_size(*axis) for axis in axes))\n",
     ["it calls convlib.conv_output_size, the reference"]),
    # mult_adds_3d: the kernel's depth left out, the input's sizes, the depth neither padded nor strided, floats,
    # a delegating call
    ("test_mult_adds_3d_basic",
     variant(MULT_ADDS, MULT, total="c_out * c_in * math.prod(kernel[1:]) * math.prod(out)"),  # kH * kW only
     ["mult_adds_3d((1, 4, 4, 4), (1, 1, 3, 3, 3)): expected 216, got 72", "the kernel's depth counts too"]),
    ("test_mult_adds_3d_basic", variant(MULT_ADDS, MULT, size="i"),
     ["expected 216, got 1728", "2 x 2 x 2 = 8 output elements"]),
    ("test_mult_adds_3d_stride_padding",
     variant(MULT_ADDS, MULT, total="c_out * c_in * math.prod(kernel) * (input_shape[1] - kernel[0] + 1) * "
                                    "math.prod(out[1:])"),
     ["stride=1, padding=1): expected 1728, got 864", "stride and padding apply along the depth too"]),
    ("test_mult_adds_3d_per_axis", variant(MULT_ADDS, MULT, size="(i + 2 * p - k) / s + 1"),
     ["expected the int 1416167424, got 1441569024.0 of type float", "a size or a count is a whole number"]),
    ("test_mult_adds_3d_stride_padding",
     "import convlib.counting\n" + variant(MULT_ADDS, MULT, total="convlib.counting.conv_mult_adds("
                                                                  "c_in, c_out, tuple(kernel), tuple(out))"),
     ["it calls convlib.counting.conv_mult_adds, the reference"]),
]
