"""Channel shuffle: the step that lets grouped convolutions talk to each other.

Taught in section 5 ("Shuffle convolution", ShuffleNet). After a grouped
convolution each output group has seen one input group only; reshaping the
channels into ``(groups, C / groups)``, transposing and flattening deals
every next group one channel from each previous group.
"""

from __future__ import annotations

import numpy as np

from . import _args

__all__ = ["channel_shuffle"]


def channel_shuffle(input, groups: int) -> np.ndarray:
    """Shuffle channels across ``groups``, as ``torch.nn.functional.channel_shuffle``.

    Channel ``g * (C / groups) + j`` moves to position ``j * groups + g``.

    Shapes
    ------
    input ``(N, C, *S)`` with at least 3 dimensions (channels on axis 1, as in
    torch) -> output of the same shape.

    Examples
    --------
    >>> channel_shuffle(np.arange(6).reshape(1, 6, 1), 2)[0, :, 0]
    array([0, 3, 1, 4, 2, 5])
    """
    fn = "channel_shuffle"
    x = _args.numeric_array(fn, "input", input)
    groups = _args.positive_int(fn, "groups", groups)
    if x.ndim < 3:
        raise ValueError(f"{fn}: input must have at least 3 dimensions (N, C, *spatial), got shape {x.shape}")
    n, c = x.shape[:2]
    if c % groups:
        raise ValueError(f"{fn}: number of channels ({c}) must be divisible by groups ({groups})")
    spatial = x.shape[2:]
    return (x.reshape((n, groups, c // groups) + spatial)  # (N, g, C/g, *S)
            .swapaxes(1, 2)  # (N, C/g, g, *S)
            .reshape((n, c) + spatial))
