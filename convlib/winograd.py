"""Winograd's minimal filtering: a 3x3 convolution with 2.25 times fewer multiplications.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016
(arXiv:1509.09308), section 4, the algorithm F(2x2, 3x3).

The idea, in 1-D first. Two outputs of a 3-tap filter ``g`` over four inputs
``d`` need six multiplications done directly, but four suffice::

    y = A^T [(G g) * (B^T d)]          (* elementwise, 4 products)

          [1  0 -1  0]           [ 1    0    0 ]
    B^T = [0  1  1  0]       G = [1/2  1/2  1/2]       A^T = [1  1  1  0]
          [0 -1  1  0]           [1/2 -1/2  1/2]             [0  1 -1 -1]
          [0  1  0 -1]           [ 0    0    1 ]

Nesting the 1-D algorithm in itself gives the 2-D one: a 2x2 block of outputs
comes from a 4x4 tile ``d`` of the input (neighbouring tiles overlap by two)::

    Y = A^T [(G g G^T) * (B^T d B)] A          16 products instead of 36

The transforms only add and subtract (``G`` halves, but it acts on the
weights, once per call). Over channels, the elementwise product becomes a sum
of products, so each of the 16 positions ``(a, b)`` of the 4x4 transformed
tile is one matrix product over the input channels::

    M[a, b] = U[a, b] @ V[a, b]          (C_out, C_in) @ (C_in, T) -> (C_out, T)

with ``U = G g G^T`` (the weights), ``V = B^T d B`` (``T`` input tiles) and
then ``Y = A^T M A`` per tile. The 16 products do the ``C_out * C_in`` work
of 16 / 4 = 4 multiplications per output instead of 9: 2.25 times fewer.
The price is precision (the transforms add numbers of different sizes: in
float32 the error grows from about 1e-7 to about 1e-6 of the largest
output) and memory (``V`` holds 16 numbers per tile of 4 outputs).

Here every transform is separable, rows then columns, and each 1-D transform
is four additions or subtractions of whole arrays, each a flat run of memory
(numpy's fastest loop, about three times faster than on strided views): the
input is staged split by the parity of its rows and columns, so that the
columns ``2 tx + j`` and rows ``2 ty + i`` of all tiles are shifted runs. The
output is cut into tiles of work (a band of tile rows of one image, or several
whole images when the maps are small) whose arrays stay in a core's cache;
the tiles run over all cores as in :mod:`convlib.conv`, each with one batched
matrix product over the 16 positions. The padding is added tile by tile, so
no padded copy of the whole input is made.

Shapes
    input ``(N, C_in, H, W)``, weight ``(C_out, C_in, 3, 3)``, padding
    ``((top, bottom), (left, right))``, output ``(N, C_out, H_out, W_out)``
    with ``H_out = H + top + bottom - 2`` (stride 1, dilation 1:
    :func:`convlib.shapes.conv_output_size`), likewise ``W_out``. Odd output
    sizes: the last row or column of 2x2 tiles reads one more zero and
    stores half of itself.
"""

from __future__ import annotations

import numpy as np

from ._parallel import cores, run_tiles

__all__ = ["B_T", "G", "A_T", "applies", "winograd_conv2d_3x3"]

B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)

# The transformed tiles and products of one tile of work stay under this many bytes.
TILE_BYTES = 2**21
# Below this many multiply-adds (of the direct convolution) the work runs on the calling thread.
SERIAL_MULT_ADDS = 2**25
# Pack V without the dropped tiles when their share of the products, times C_out, exceeds this.
COMPACT_WHEN = 20


def applies(weight_shape, stride, dilation, groups, dtype) -> bool:
    """Whether :func:`winograd_conv2d_3x3` computes this convolution: 2-D, 3x3, stride 1, no dilation, no groups."""
    return (len(weight_shape) == 4 and tuple(weight_shape[2:]) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1) and groups == 1 and np.issubdtype(dtype, np.floating))


def transformed_weight(weight: np.ndarray, dtype) -> np.ndarray:
    """``U = G g G^T`` for every pair of channels, as 16 matrices ``(16, C_out, C_in)`` of ``dtype``.

    ``U[a, b] = sum_kl G[a, k] G[b, l] g[k, l]``: one matrix product with the
    Kronecker product of ``G`` with itself (16, 9).
    """
    c_out, c_in = weight.shape[:2]
    flat = weight.reshape(c_out * c_in, 9).astype(dtype, copy=False)  # (C_out C_in, 9)
    return (np.kron(G, G).astype(dtype) @ flat.T).reshape(16, c_out, c_in)  # (16, C_out, C_in)


def _parity_range(parity: int, offset: int, size: int, lo: int, hi: int) -> tuple[int, int]:
    """Indices ``m`` in ``[lo, hi)`` whose padded position ``2 m + parity`` holds input ``2 m + parity - offset``
    inside ``[0, size)``; as a range ``(m0, m1)``, empty when ``m1 <= m0``."""
    first = -(-(offset - parity) // 2)
    last = (size - 1 + offset - parity) // 2
    return max(lo, first), min(hi, last + 1)


def _stage(x: np.ndarray, xd: np.ndarray, padding, n0: int, n1: int, t0: int) -> None:
    """Copy images ``n0:n1`` of the unpadded ``x`` (N, C_in, H, W), from tile row ``t0`` on,
    into ``xd``, padded and split by the parity of the column and of the row.

    ``xd`` (2, 2, C_in, nb, TY + 1, W2): ``xd[q, p, c, n, k, l]`` is the padded input
    at row ``2 (t0 + k) + p``, column ``2 l + q``. Split so, each of the four
    columns and rows that a transform combines is a shifted run of memory.
    The caller zeroes ``xd`` when the layout changes, so the padding columns
    (never written) are zero; padding rows are zeroed here, since a tile of
    work at the top or bottom edge may reuse scratch that held inner rows.
    """
    (top, _), (left, _) = padding
    h, w = x.shape[2:]
    rows = xd.shape[4]
    images = x[n0:n1].transpose(1, 0, 2, 3)  # (C_in, nb, H, W), a view
    for p in range(2):
        k0, k1 = _parity_range(p, top, h, t0, t0 + rows)
        k0, k1 = k0 - t0, max(k0, k1) - t0
        xd[:, p, :, :, :k0] = 0
        xd[:, p, :, :, k1:] = 0
        for q in range(2):
            l0, l1 = _parity_range(q, left, w, 0, xd.shape[5])
            if k1 > k0 and l1 > l0:
                h0, w0 = 2 * (t0 + k0) + p - top, 2 * l0 + q - left
                xd[q, p, :, :, k0:k1, l0:l1] = images[:, :, h0:h0 + 2 * (k1 - k0):2, w0:w0 + 2 * (l1 - l0):2]


def _input_transform(xd: np.ndarray, s: np.ndarray, v: np.ndarray) -> None:
    """``V = B^T d B`` for every 4x4 tile ``d`` of the staged input ``xd``, written to ``v``.

    ``xd`` (2, 2, C_in, nb, TY + 1, W2) as made by :func:`_stage`; tile ``(ty, tx)``
    of image ``n`` starts at padded row ``2 ty``, column ``2 tx``.

    Every step is one flat run of memory plus or minus another (numpy's
    fastest loop, about three times faster than the same sum on strided
    views). Columns first: column ``2 tx + j`` is parity ``j % 2`` at ``tx + j // 2``,
    a shift by ``j // 2``. Then rows: row ``2 ty + i`` is parity ``i % 2`` at
    ``ty + i // 2``, a shift by ``(i // 2) W2``. A shifted run reads, at the end of
    each row (``tx = W2 - 1``) and of each image (``ty = TY``), into the next
    one: tiles that are computed and then dropped.

    ``s`` (2, 4, C_in, nb, TY + 1, W2) receives ``d B`` by row parity,
    ``v`` (4, 4, C_in, nb, TY + 1, W2) receives ``B^T d B``.
    """
    block = xd[0, 0].size
    run = block - 1  # the shift by one would read past the end
    xf = xd.reshape(2, 2, block)  # (column parity, row parity, C_in nb (TY + 1) W2)
    sf = s.reshape(2, 4, block)  # (row parity, b, C_in nb (TY + 1) W2)
    for p in range(2):
        col = [xf[j % 2, p, j // 2:j // 2 + run] for j in range(4)]  # column 2 tx + j of the rows of parity p
        np.subtract(col[0], col[2], out=sf[p, 0, :run])  # B^T's rows, applied along the columns of d
        np.add(col[1], col[2], out=sf[p, 1, :run])
        np.subtract(col[2], col[1], out=sf[p, 2, :run])
        np.subtract(col[1], col[3], out=sf[p, 3, :run])
    w2 = xd.shape[5]
    run = 4 * block - w2
    sf = s.reshape(2, 4 * block)  # (row parity, b C_in nb (TY + 1) W2)
    vf = v.reshape(4, 4 * block)  # (a, b C_in nb (TY + 1) W2)
    row = [sf[i % 2, (i // 2) * w2:(i // 2) * w2 + run] for i in range(4)]  # row 2 ty + i, for every b
    np.subtract(row[0], row[2], out=vf[0, :run])  # and along the rows of d B
    np.add(row[1], row[2], out=vf[1, :run])
    np.subtract(row[2], row[1], out=vf[2, :run])
    np.subtract(row[1], row[3], out=vf[3, :run])


def _output_transform(m: np.ndarray, p: np.ndarray, outs) -> None:
    """``Y = A^T M A`` for every tile, stored through the views ``outs[i][j]``.

    ``m`` (4, 4, C_out, nb, TY + 1, W2) holds the products (and then ``Y``), ``p``
    (2, 4, C_out, nb, TY + 1, W2) is scratch for ``A^T M``; ``outs[i][j]`` (C_out, nb, TY_i, TX_j)
    is where output pixels ``(2 ty + i, 2 tx + j)`` go (fewer at an odd edge).
    The sums run on flat memory (see :func:`_input_transform`); only the
    stores, plain copies, are strided.
    """
    mf = m.reshape(4, -1)  # (a, b C_out nb (TY + 1) W2)
    pf = p.reshape(2, -1)  # (i, b C_out nb (TY + 1) W2)
    np.add(mf[0], mf[1], out=pf[0])  # A^T's rows, applied along the rows of M
    pf[0] += mf[2]
    np.subtract(mf[1], mf[2], out=pf[1])
    pf[1] -= mf[3]
    y = m.reshape(16, -1)[:4]  # (i j, C_out nb (TY + 1) W2): M is spent
    for i in range(2):
        q = pf[i].reshape(4, -1)  # (b, C_out nb (TY + 1) W2)
        np.add(q[0], q[1], out=y[2 * i])  # and along the columns
        y[2 * i] += q[2]
        np.subtract(q[1], q[2], out=y[2 * i + 1])
        y[2 * i + 1] -= q[3]
    y = y.reshape((2, 2) + m.shape[2:])  # (2, 2, C_out, nb, TY + 1, W2)
    for i in range(2):
        for j in range(2):
            ty, tx = outs[i][j].shape[2:]
            np.copyto(outs[i][j], y[i, j, :, :, :ty, :tx])


def _pairs(padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """``padding`` as ``((top, bottom), (left, right))``: from an int, a pair per axis, or pairs."""
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    return tuple((p, p) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in padding)


def winograd_conv2d_3x3(input: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, padding=0,
                        dtype=None, tile_bytes: int | None = None, parallel: bool | None = None) -> np.ndarray:
    """A 3x3, stride-1 convolution by Winograd's F(2x2, 3x3).

    Parameters
    ----------
    input : array ``(N, C_in, H, W)``
    weight : array ``(C_out, C_in, 3, 3)``
    bias : array ``(C_out,)``, optional
    padding : int, ``(pH, pW)`` or ``((top, bottom), (left, right))``
        Zeros around the input, added here tile by tile: no padded copy of the
        whole input is made.
    dtype : optional
        Of the result and of the arithmetic; default: the promoted dtype of the arguments.
    tile_bytes : int, optional
        Bytes of scratch per tile of work (default :data:`TILE_BYTES`).
    parallel : bool, optional
        Spread the tiles over the cores (default: when the work is large enough).

    Returns
    -------
    array ``(N, C_out, H_out, W_out)`` with ``H_out = H + top + bottom - 2``,
    ``W_out = W + left + right - 2``, equal to torch's ``conv2d`` up to rounding.
    """
    fn = "winograd_conv2d_3x3"
    input, weight = np.asarray(input), np.asarray(weight)
    if input.ndim != 4:
        raise ValueError(f"{fn}: input must be (N, C_in, H, W), got shape {input.shape}")
    if weight.ndim != 4 or weight.shape[2:] != (3, 3):
        raise ValueError(f"{fn}: weight must be (C_out, C_in, 3, 3), got shape {weight.shape}")
    if weight.shape[1] != input.shape[1]:
        raise ValueError(f"{fn}: input has {input.shape[1]} channels but weight expects {weight.shape[1]} "
                         f"(weight.shape[1])")
    (top, bottom), (left, right) = padding = _pairs(padding)
    n_batch, c_in, h, w = input.shape
    c_out = weight.shape[0]
    h_out, w_out = h + top + bottom - 2, w + left + right - 2
    if h_out < 1 or w_out < 1:
        raise ValueError(f"{fn}: output size {(h_out, w_out)} must be positive (H + top + bottom - 2, "
                         f"W + left + right - 2 with input {input.shape[2:]}, padding {padding})")
    if dtype is None:
        dtype = np.result_type(input, weight) if bias is None else np.result_type(input, weight, bias)
    dtype = np.dtype(dtype)
    itemsize = dtype.itemsize
    ty_all, tx = -(-h_out // 2), -(-w_out // 2)  # tiles down and across; odd sizes: the last half outside
    w2 = tx + 1  # half the padded width: tx tiles and the column that is dropped
    u = transformed_weight(weight, dtype)  # (16, C_out, C_in)

    # A tile of work: images n0:n1 and tile rows t0:t1. Its scratch per tile row of one image:
    # staged input, V (then A^T M), d B (then M and Y)
    per_row = (4 * c_in + max(16 * c_in, 8 * c_out) + max(16 * c_out, 8 * c_in)) * w2 * itemsize
    budget = TILE_BYTES if tile_bytes is None else tile_bytes
    fits = max(1, budget // per_row)  # tile rows in the budget
    if parallel is None:
        parallel = n_batch * c_out * c_in * 9 * h_out * w_out >= SERIAL_MULT_ADDS
    want = 2 * cores() if parallel else 1  # at least two tiles per core, to even out the shares
    if fits >= ty_all and n_batch > 1:  # whole images fit: several per tile
        per = max(1, min(fits // ty_all, -(-n_batch // want)))
        tasks = [(n0, min(n_batch, n0 + per), 0, ty_all) for n0 in range(0, n_batch, per)]
    else:
        bands = min(ty_all, max(-(-ty_all // fits), -(-want // n_batch)))
        band = -(-ty_all // bands)
        tasks = [(n, n + 1, t0, min(ty_all, t0 + band)) for n in range(n_batch) for t0 in range(0, ty_all, band)]
    most_images = max(n1 - n0 for n0, n1, _, _ in tasks)
    most_rows = max(t1 - t0 for _, _, t0, t1 in tasks)
    # Dropped tiles (the last of each row, and the last row of each image unless one image's row
    # stride skips it) cost the products 2 C_out multiply-adds per number of V, copying them away
    # costs about 1/20 of that per number: worth it on small maps with many channels.
    dropped = 1 - (tx / w2) * (1 if most_images == 1 else most_rows / (most_rows + 1))
    compact = dropped * c_out > COMPACT_WHEN

    out = np.empty((n_batch, c_out, h_out, w_out), dtype=dtype)
    column_bias = None if bias is None else bias.astype(dtype, copy=False)[:, None]  # (C_out, 1)

    def work(share) -> None:
        # Flat scratch, viewed per tile: its rows and images are laid out back to back (see _input_transform).
        most = most_images * (most_rows + 1) * w2  # matrix columns of the largest tile, dropped tiles included
        staged = np.zeros(4 * c_in * most, dtype=dtype)
        v = np.zeros(max(16 * c_in, 8 * c_out) * most, dtype=dtype)  # V, then A^T M
        m = np.zeros(max(16 * c_out, 8 * c_in) * most, dtype=dtype)  # d B, then M
        kept = np.empty(16 * c_in * most_images * most_rows * tx if compact else 0, dtype=dtype)
        layout = None
        for n0, n1, t0, t1 in share:
            nb, ty = n1 - n0, t1 - t0
            width = nb * (ty + 1) * w2  # tiles, dropped ones included
            if layout != (nb, ty):  # the padding columns move: start from zeros
                layout = (nb, ty)
                staged[:] = 0
            xd = staged[:4 * c_in * width].reshape(2, 2, c_in, nb, ty + 1, w2)  # (2, 2, C_in, nb, TY + 1, W2)
            _stage(input, xd, padding, n0, n1, t0)
            s = m[:8 * c_in * width].reshape(2, 4, c_in, nb, ty + 1, w2)  # (2, 4, C_in, nb, TY + 1, W2)
            v_t = v[:16 * c_in * width].reshape(16, c_in, nb, ty + 1, w2)  # (16, C_in, nb, TY + 1, W2)
            _input_transform(xd, s, v_t)
            if compact:  # the products skip the dropped tiles: copy the kept ones together
                packed = kept[:16 * c_in * nb * ty * tx].reshape(16, c_in, nb, ty, tx)  # (16, C_in, nb, TY, TX)
                np.copyto(packed, v_t[..., :ty, :tx])
                v_t = packed
            rows, cols = v_t.shape[3:]  # per image: TY + 1 rows of W2 tiles, or TY of TX when compact
            width = nb * rows * cols
            kept_cols = width - (rows - ty) * cols  # one image: leave out its dropped row (the row stride skips it)
            v_m = v_t.reshape(16, c_in, width)  # (16, C_in, T)
            m_t = m[:16 * c_out * width].reshape(16, c_out, width)  # (16, C_out, T)
            np.matmul(u, v_m[..., :kept_cols], out=m_t[..., :kept_cols])  # (16, C_out, C_in) @ (16, C_in, T)
            if column_bias is not None:  # A^T e A is all ones for e at (1, 1): the bias reaches every output once
                m_t[5, :, :kept_cols] += column_bias
            p = v[:8 * c_out * width].reshape(2, 4, c_out, nb, rows, cols)  # (2, 4, C_out, nb, rows, cols)
            block = out[n0:n1, :, 2 * t0:2 * t1].transpose(1, 0, 2, 3)  # (C_out, nb, 2 TY, W_out)
            outs = [[block[:, :, i::2, j::2] for j in range(2)] for i in range(2)]  # (C_out, nb, TY_i, TX_j)
            _output_transform(m_t.reshape(4, 4, c_out, nb, rows, cols), p, outs)

    run_tiles(work, tasks, parallel)
    return out
