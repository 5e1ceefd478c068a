"""Lesson 04's corpus: other correct answers, and plausible wrong ones with what their message must say.

Read by tests/test_lessons.py; the format is in tests/mistakes/README.md.
"""

# Each group of input channels convolved with its group of filters: windows of the padded maps, one einsum per group.
GROUPED = """
def grouped_conv2d(x, w, groups, stride=1, padding=0):
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::{step}, ::{step}]
    parts = [np.einsum("nchwij,ocij->nohw", xg, wg)
             for xg, wg in zip({inputs}, np.split(w, groups), strict=True)]
    return np.concatenate(parts, axis=1){cast}
"""
GROUPED_RIGHT = dict(step="stride", inputs="np.split(windows, groups, axis=1)", cast="")

SHUFFLE = """
def channel_shuffle(x, groups):
    n, c = x.shape[:2]
    return {body}
"""
SHUFFLE_RIGHT = "x[:, np.arange(c).reshape(groups, c // groups).T.reshape(c)]"  # the new order, as an index

REACHABLE = """
def reachable(channels, groups, out_channel, shuffle=False):
    n = channels // groups
    {body}
"""


def reachable(body: str) -> str:
    return REACHABLE.format(body=body.replace("\n", "\n    "))


# The lesson's own way of computing connectivity, with the student's own functions: one-hot images in.
REACHABLE_RIGHT = reachable(
    "x = np.eye(channels).reshape(channels, channels, 1, 1)\n"
    "w = np.ones((channels, n, 1, 1))\n"
    "h = grouped_conv2d(x, w, groups)\n"
    "if shuffle:\n"
    "    h = channel_shuffle(h, groups)\n"
    "y = grouped_conv2d(h, w, groups)\n"
    "return [int(i) for i in np.flatnonzero(y[:, out_channel, 0, 0])]")

# Another correct implementation of each exercise: the graded cells must not depend on how it is written.
OTHER_RIGHT = {
    "grouped_conv2d": GROUPED.format(**GROUPED_RIGHT),
    "channel_shuffle": SHUFFLE.format(body=SHUFFLE_RIGHT),
    "reachable": REACHABLE_RIGHT,
}

# (graded cell, the student's answer, what the failure message must say)
MISTAKES = [
    # grouped_conv2d
    ("test_grouped_conv2d_shape",
     GROUPED.format(**{**GROUPED_RIGHT, "cast": "[:, :w.shape[0] // groups]"}),  # keeps the first group's outputs
     ["groups=2, stride=1, padding=0: expected shape (1, 6, 3, 3), got shape (1, 3, 3, 3)", "C_out = w.shape[0]"]),
    ("test_grouped_conv2d_values",  # every filter reads every input group: the groups' sums added up
     GROUPED.format(**{**GROUPED_RIGHT, "inputs": "[sum(np.split(windows, groups, axis=1))] * groups"}),
     ["with input maps of ones and of twos: 2 of 2 elements are wrong; the first at index (0, 0, 0, 0): "
      "expected 9, got 27", "27 means a filter read both maps"]),
    ("test_grouped_conv2d_independent",
     GROUPED.format(**{**GROUPED_RIGHT, "inputs": "[sum(np.split(windows, groups, axis=1))] * groups"}),
     ["change when input channels 0 and 1 (group 0) change: expected [0, 1], got [0, 1, 2, 3, 4, 5]",
      "no filter of another group reads it"]),
    ("test_grouped_conv2d_independent",  # every group of filters reads the first group of inputs
     GROUPED.format(**{**GROUPED_RIGHT, "inputs": "[np.split(windows, groups, axis=1)[0]] * groups"}),
     ["change when input channels 0 and 1 (group 0) change: expected [0, 1], got [0, 1, 2, 3, 4, 5]"]),
    ("test_grouped_conv2d_stride_padding", GROUPED.format(**{**GROUPED_RIGHT, "step": "1"}),
     ["groups=2, stride=2, padding=1, against torch: expected shape (2, 6, 4, 3), got shape (2, 6, 7, 6)",
      "i * stride"]),
    ("test_grouped_conv2d_dtype", GROUPED.format(**{**GROUPED_RIGHT, "cast": ".astype(float)"}),
     ["expected dtype float32, got dtype float64", "dtype=np.result_type(x, w)"]),
    ("test_grouped_conv2d_values",
     "import convlib\ndef grouped_conv2d(x, w, groups, stride=1, padding=0):\n"
     "    return convlib.conv2d(x, w, stride=stride, padding=padding, groups=groups)\n",
     ["it calls convlib.conv2d, the reference"]),
    ("test_grouped_conv2d_stride_padding",
     "import torch\ndef grouped_conv2d(x, w, groups, stride=1, padding=0):\n"
     "    return torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, stride, padding, 1,\n"
     "                                      groups).numpy()\n",
     ["it uses torch (", "the reference"]),
    # channel_shuffle
    ("test_channel_shuffle_order",  # the channels read as (C/g, g): the inverse shuffle
     SHUFFLE.format(body="x.reshape((n, c // groups, groups) + x.shape[2:]).swapaxes(1, 2).reshape(x.shape)"),
     ["channel_shuffle of 6 numbered channels, groups=2: 4 of 6 elements are wrong; the first at index (0, 1, 0, 0): "
      "expected 3, got 2", "reading them as (C/g, g) = (3, 2) first gives the inverse order"]),
    ("test_channel_shuffle_maps",  # cuts the maps apart: right for 1x1 maps only
     SHUFFLE.format(body="x.reshape(n, groups, -1).swapaxes(1, 2).reshape(x.shape)"),
     ["channel_shuffle of a random array (2, 6, 3, 4), groups=3:", "reshaping (N, g, -1) cuts the maps themselves"]),
    ("test_channel_shuffle_torch",  # a new float64 array filled in
     SHUFFLE.format(body="np.array([x[:, (p % groups) * (c // groups) + p // groups] for p in range(c)], "
                         "dtype=float).swapaxes(0, 1)"),
     ["array (2, 6, 4, 4), groups=2, against torch: expected dtype float32, got dtype float64",
      "not a new array of another dtype"]),
    ("test_channel_shuffle_order",
     "import convlib\ndef channel_shuffle(x, groups):\n    return convlib.channel_shuffle(x, groups)\n",
     ["it calls convlib.channel_shuffle, the reference"]),
    ("test_channel_shuffle_torch",
     "import torch\ndef channel_shuffle(x, groups):\n"
     "    return torch.nn.functional.channel_shuffle(torch.from_numpy(x), groups).numpy()\n",
     ["it uses torch (", "the reference"]),
    # reachable
    ("test_reachable_no_shuffle",  # the group read off out_channel % groups instead of out_channel // (C/g)
     reachable("group = out_channel % groups\nreturn list(range(group * n, (group + 1) * n))"),
     ["reachable(6, 3, 4): expected [4, 5], got [2, 3]", "output 4 is in group 4 // (C/g) = 2"]),
    ("test_reachable_shuffle",  # forgets the shuffle
     reachable("group = out_channel // n\nreturn list(range(group * n, (group + 1) * n))"),
     ["reachable(12, 3, 4, shuffle=True): expected [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], got [4, 5, 6, 7]",
      "after the shuffle position p of the middle layer holds channel"]),
    ("test_reachable_few_channels",  # the shuffle taken to reach every input, always
     reachable("group = out_channel // n\n"
               "return list(range(channels)) if shuffle else list(range(group * n, (group + 1) * n))"),
     ["reachable(6, 3, 4, shuffle=True): expected [2, 3, 4, 5], got [0, 1, 2, 3, 4, 5]",
      "one from each of C/g groups, not from all g"]),
    ("test_reachable_no_shuffle",  # a set, not the sorted list asked for
     reachable("group = out_channel // n\nreturn set(range(group * n, (group + 1) * n))"),
     ["reachable(6, 3, 4): expected the list [4, 5], got {4, 5} of type set"]),
    ("test_reachable_shuffle",
     "import convlib\n" + REACHABLE_RIGHT.replace("grouped_conv2d(x, w, groups)", "convlib.conv2d(x, w, groups=groups)")
     .replace("grouped_conv2d(h, w, groups)", "convlib.conv2d(h, w, groups=groups)"),
     ["it calls convlib.conv2d, the reference"]),
]
