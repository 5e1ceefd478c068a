"""The numbers lesson 06 (transposed convolution) states in its text, each computed by convlib or torch.

The generic tests of tests/test_lessons.py run the notebook but do not read what it prints; these check the
claims its markdown makes in words, so that a change in convlib that breaks one shows up here.
"""

import numpy as np
import pytest
import torch

import convlib


def test_two_input_sizes_convolve_to_three_and_output_padding_picks_one():
    """Section 2: i = 5 and i = 6 (k = 3, s = 2, p = 1) both give 3; from 3, a = 0 gives 5 and a = 1 gives 6."""
    assert [convlib.conv_output_size(i, 3, stride=2, padding=1) for i in (5, 6)] == [3, 3]
    assert [convlib.conv_remainder(i, 3, stride=2, padding=1) for i in (5, 6)] == [0, 1]
    assert [convlib.conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=a) for a in (0, 1)] == [5, 6]


def test_the_lecture_construction_of_the_step_by_step_example():
    """Section 4: a 2x2 input, k = 3, s = 2, p = 1, a = 1: z = 1, p' = 1 before and 2 after, s' = 1, a 6x6 map
    of which 4 cells are not zeros, a 4x4 output."""
    params = convlib.zero_insertion_params(2, 3, stride=2, padding=1, output_padding=1)
    assert (params.z, params.p_before, params.p_after, params.s_prime, params.output_size) == (1, 1, 2, 1, 4)
    stretched = convlib.zero_insert_and_pad(np.array([[[1.0, 2.0], [3.0, 4.0]]]), (3, 3), 2, 1, 1)
    assert stretched.shape == (1, 6, 6) and np.count_nonzero(stretched) == 4


def test_a_valid_convolution_loses_what_a_same_one_keeps():
    """Section 1: a 3x3 kernel over 5x5 gives 9 numbers of rank 9; with padding 1, C is 25x25 and invertible."""
    w = np.random.default_rng(0).standard_normal((1, 1, 3, 3))  # a random kernel, as in the notebook
    assert np.linalg.matrix_rank(convlib.conv_matrix((1, 5, 5), w)) == 9
    assert np.linalg.matrix_rank(convlib.conv_matrix((1, 5, 5), w, padding=1)) == 25


@pytest.mark.parametrize(("k", "values"), [(3, [1.0, 2.0, 4.0]), (4, [4.0])])
def test_checkerboard_of_a_constant_input(k: int, values: list[float]):
    """Section 6: with s = 2 and weights 1, k = 3 leaves 1, 2 or 4 taps inside the border, k = 4 always 2 x 2."""
    ones = np.ones((1, 1, 6, 6))
    y = convlib.conv_transpose2d(ones, np.ones((1, 1, k, k)), stride=2, padding=1, output_padding=1 if k == 3 else 0)
    assert y.shape == (1, 1, 12, 12)
    assert np.unique(y[0, 0, 1:-1, 1:-1]).tolist() == values


def test_resize_then_convolve_is_even():
    """Section 6: nearest upsampling then a 3x3 convolution of ones sees 9 inputs everywhere inside the border."""
    nearest = torch.nn.functional.interpolate(torch.ones(1, 1, 6, 6, dtype=torch.float64), scale_factor=2).numpy()
    y = convlib.conv2d(nearest, np.ones((1, 1, 3, 3)), padding=1)
    assert np.unique(y[0, 0, 1:-1, 1:-1]).tolist() == [9.0]


def test_dcgan_generator_sizes():
    """Section 7: k = 4 layers, s = 1 p = 0 then s = 2 p = 1, take 1 -> 4 -> 8 -> 16 -> 32, in convlib and torch."""
    layers = [(4, 1, 0), (4, 2, 1), (4, 2, 1), (4, 2, 1)]
    sizes = [1]
    for k, s, p in layers:
        sizes.append(convlib.conv_transpose_output_size(sizes[-1], k, stride=s, padding=p))
    assert sizes == [1, 4, 8, 16, 32]
    h = torch.zeros(1, 2, 1, 1)
    for k, s, p in layers:
        h = torch.nn.ConvTranspose2d(2, 2, k, stride=s, padding=p)(h)
    assert tuple(h.shape) == (1, 2, 32, 32)
