"""convlib: the reference library of the course "Types of convolutional layers".

numpy arrays in, numpy arrays out; names, arguments, defaults and layouts
mirror ``torch.nn.functional`` (``N, C, *spatial``, or unbatched ``C, *spatial``).

The core imported here needs numpy alone. The parts built on torch
(``convlib.counting`` measured counts, ``convlib.models``) and on ipywidgets
(``convlib.widgets``) are imported by name where they are used, so that
``import convlib`` stays light.
"""

from .conv import (
    conv,
    conv1d,
    conv1d_naive,
    conv2d,
    conv2d_naive,
    conv3d,
    conv3d_naive,
    conv_element,
    conv_naive,
)
from .dilated import dilate_kernel
from .matrix import conv_matrix
from .separable import depthwise_conv, depthwise_separable_conv, pointwise_conv
from .shapes import (
    ZeroInsertion,
    conv_output_size,
    conv_remainder,
    conv_transpose_output_size,
    effective_kernel_size,
    kernel_positions,
    receptive_field,
    receptive_fields,
    same_padding,
    zero_insertion_params,
)
from .shuffle import channel_shuffle
from .transposed import (
    conv_transpose,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    conv_transpose_naive,
    conv_transpose_zero_insertion,
    insert_zeros,
    transposed_as_conv_weight,
    zero_insert_and_pad,
)

__all__ = [
    "ZeroInsertion",
    "channel_shuffle",
    "conv",
    "conv1d",
    "conv1d_naive",
    "conv2d",
    "conv2d_naive",
    "conv3d",
    "conv3d_naive",
    "conv_element",
    "conv_matrix",
    "conv_naive",
    "conv_output_size",
    "conv_remainder",
    "conv_transpose",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose_naive",
    "conv_transpose_output_size",
    "conv_transpose_zero_insertion",
    "depthwise_conv",
    "depthwise_separable_conv",
    "dilate_kernel",
    "effective_kernel_size",
    "insert_zeros",
    "kernel_positions",
    "pointwise_conv",
    "receptive_field",
    "receptive_fields",
    "same_padding",
    "transposed_as_conv_weight",
    "zero_insert_and_pad",
    "zero_insertion_params",
]

__version__ = "0.1.0"
