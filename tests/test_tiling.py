"""The fast path's tiling: every way of cutting the output into tiles gives torch's result.

Small inputs normally run as one tile on the calling thread; here the limits
are lowered so that the same hypothesis configurations run as bands of one or
a few rows, spread over the thread pool with BLAS held to one thread.
"""

import sys
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from torch_oracle import conv_cases, conv_name, conv_transpose_cases, conv_transpose_name, same_as_torch

from convlib._parallel import cores

conv_module = sys.modules["convlib.conv"]  # convlib.conv is also the name of the function


@pytest.mark.parametrize("tile_bytes", [1, 3 * 64, 2**20], ids=["one-row-bands", "few-row-bands", "cache-bands"])
@given(case=conv_cases())
def test_any_band_tiling_matches_torch(tile_bytes, case):
    calls = []

    real = conv_module.run_tiles

    def spy(work, tasks, parallel=True):
        calls.append((len(tasks), parallel))
        return real(work, tasks, parallel)

    with mock.patch.object(conv_module, "TILE_BYTES", tile_bytes), \
         mock.patch.object(conv_module, "MIN_COLUMNS", 1), \
         mock.patch.object(conv_module, "SERIAL_MULT_ADDS", 0), \
         mock.patch.object(conv_module, "run_tiles", spy):
        out = same_as_torch(conv_name(case.ndim), *case.args, **case.kwargs)
    n_images = case.input.shape[0] if case.batched else 1
    rows = out.shape[-case.ndim]
    # padding the images, then the tiles: both on the thread pool
    assert [parallel for _, parallel in calls] == [True, True], "the parallel tiled path was not taken"
    if tile_bytes == 1:  # every band is one row of one image
        assert calls[-1][0] == n_images * rows


@given(case=conv_cases(batched=True))
def test_tiles_of_several_images_match_torch(case):
    """Small maps are packed several whole images to a tile, so that each product has enough columns."""
    per_tile = 2
    x = np.concatenate([case.input] * (2 * per_tile * cores()))  # two tiles per core, of 2 or 4 images each
    calls = []
    real = conv_module.run_tiles

    def spy(work, tasks, parallel=True):
        calls.append(list(tasks))
        return real(work, tasks, parallel)

    with mock.patch.object(conv_module, "MIN_COLUMNS", 10**6), \
         mock.patch.object(conv_module, "SERIAL_MULT_ADDS", 0), \
         mock.patch.object(conv_module, "run_tiles", spy):
        same_as_torch(conv_name(case.ndim), x, case.weight, case.bias, **case.kwargs)
    step = x.shape[0] // (2 * cores())  # images per tile: as many as leave two tiles per core
    assert step >= per_tile
    assert [(task[0].start, task[0].stop) for task in calls[-1]] == [(n, n + step) for n in range(0, x.shape[0], step)]


@given(case=conv_transpose_cases(batched=True))
def test_transposed_convolution_over_the_thread_pool_matches_torch(case):
    """Images spread over the cores, each scattered into its own buffer."""
    transposed_module = sys.modules["convlib.transposed"]
    calls = []
    real = transposed_module.run_tiles

    def spy(work, tasks, parallel=True):
        calls.append(parallel)
        return real(work, tasks, parallel)

    with mock.patch.object(transposed_module, "SERIAL_MULT_ADDS", 0), \
         mock.patch.object(transposed_module, "run_tiles", spy):
        same_as_torch(conv_transpose_name(case.ndim), *case.args, **case.kwargs)
    assert calls == [True]
