"""The lecture's tables, rebuilt by counting: printed value, counted value, relative difference.

The lecture quotes MobileNet's comparison with GoogLeNet and VGG-16 (section 3,
"Depthwise separable convolution") and ShuffleNet's complexity comparison (section 5,
"Shuffle convolution"), plus one worked example of a depthwise separable layer. Each
function here rebuilds a table from :mod:`convlib.models` and :mod:`convlib.counting`
and returns its rows; :func:`format_table` prints them.

The counted values follow the convention of :mod:`convlib.counting`: multiply-adds of
convolutions and fully connected layers for one image at the paper's resolution;
parameters are all learnable tensors (weights, biases, batch norm). ShuffleNet's
"MFLOPs" are multiply-adds too (VGG-16's 15,300 appears as mult-adds in MobileNet's
table and as MFLOPs in ShuffleNet's). Where a counted value differs from the printed one
by more than rounding, the row's ``note`` says why; a row whose network cannot be
rebuilt from published information is quoted, with ``None`` for the counted values and
the reason in its ``note``.

Relative difference: ``(counted - printed) / printed``.
"""

from __future__ import annotations

from typing import NamedTuple

from . import counting

__all__ = [
    "ShareRow",
    "TableRow",
    "format_table",
    "mobilenet_layer_types",
    "mobilenet_table",
    "separable_example",
    "shufflenet_table",
]

MILLION = 1_000_000


class TableRow(NamedTuple):
    """One row of a lecture table: as printed, as counted, and how far apart.

    ``printed_*`` and ``counted_*`` are absolute counts (569 million mult-adds is
    ``569_000_000``); ``*_diff`` is ``(counted - printed) / printed``. ``quality`` is the
    accuracy or error column, quoted as printed (it cannot be counted). ``None`` where the
    table has no such column or the row cannot be counted.
    """

    model: str
    quality: str
    printed_mult_adds: int | None
    counted_mult_adds: int | None
    mult_adds_diff: float | None
    printed_params: int | None
    counted_params: int | None
    params_diff: float | None
    note: str = ""


class ShareRow(NamedTuple):
    """One row of MobileNet's Table 2: a layer type's share (0 to 1) of multiply-adds and of weights."""

    layer_type: str
    printed_mult_adds_share: float
    counted_mult_adds_share: float
    printed_params_share: float
    counted_params_share: float
    note: str = ""


def _diff(counted, printed):
    return None if counted is None or printed is None else (counted - printed) / printed


def _row(model, quality, printed_mult_adds, printed_params, counted=None, note="") -> TableRow:
    counted_mult_adds, counted_params = counted if counted is not None else (None, None)
    return TableRow(model, quality,
                    printed_mult_adds, counted_mult_adds, _diff(counted_mult_adds, printed_mult_adds),
                    printed_params, counted_params, _diff(counted_params, printed_params), note)


def _count(build) -> tuple[int, int]:
    """Multiply-adds and parameters of ``build()`` at its paper's ``input_size``, built on the meta device."""
    import torch

    with torch.device("meta"):
        model = build()
    return counting.count_mult_adds(model, model.input_size), counting.count_params(model)


# Why a counted value is not the printed one, for every row where it is more than rounding.
NOTES = {
    "googlenet": (
        "GoogLeNet's own Table 1, which this model follows, gives per-layer operations that the count "
        "reproduces within rounding except two rows whose printed numbers disagree with their own widths: "
        "conv1 (7x7x3 to 64 channels at 112x112 is 9,408 weights and 118.0M multiply-adds, printed 2.7K "
        "and 34M) and inception (5a) (51.1M, printed 54M). Its Ops column sums to 1,502M (the '1.5 "
        "billion multiply-adds' of its text) and to 1,586M with conv1 corrected; MobileNet does not say "
        "how it got 1,550. Its Params column is in units of 1024 (conv2's 112K is 114,688 weights) and has "
        "slips of its own (conv1 2.7K for 9,408; inception (4c) 463K for 509,440; (5a) 1072K for "
        "1,042,432); it sums to 6,797.7K, which is MobileNet's '6.8 million'. The architecture as "
        "published has 6,990,272 weights and 8,280 biases."
    ),
    "vgg16": (
        "15,300 is close to the convolutions alone (15,347M, +0.3%); the three fully connected layers "
        "add 124M. Parameters include the biases (138,357,544)."
    ),
    "mobilenet": (
        "Counted with the last depthwise layer at stride 1: MobileNet's Table 1 prints 'Conv dw / s2' "
        "there but gives 7x7 as both its input and the next layer's input (with stride 2 the count "
        "would be 533.8M, -6.2%). Parameters include batch norm's 21,888 scales and shifts, which "
        "MobileNet's own counts leave out (4,210,088 without them): 4.2 million either way."
    ),
    "shufflenet_1x": (
        "140 is the nominal budget of the '1x' networks (ShuffleNet's Table 2 heads every g with it); "
        "Table 1 prints 137M for g=3, which the count reproduces without the final fully connected "
        "layer (136.5M; 137.5M with it). Table 1's complexities leave that layer out for every g "
        "(143, 140, 137, 133, 137M), while Table 6's 524 for 2x includes it (522.1M without)."
    ),
    "alexnet": (
        "The two-GPU network as published (conv2, conv4, conv5 in 2 groups) on a 227x227 input: the "
        "paper says 224, but its 55x55 first layer needs 227 ((227 - 11) / 4 + 1 = 55)."
    ),
    "squeezenet": (
        "SqueezeNet v1.0 on a 227x227 input, which its Table 1's 111x111 conv1 output needs "
        "((227 - 7) / 2 + 1 = 111)."
    ),
    "pvanet": (
        "Quoted, not counted: ShuffleNet's authors mark this row 'our impl.': the number is for their "
        "own ImageNet classifier built on PVANET, whose layers (input size, classifier head) they did "
        "not publish."
    ),
    "arch2": (
        "Quoted, not counted: 'arch2' is a modified ShuffleNet whose channel widths the paper never "
        "published, so it cannot be rebuilt. For comparison, the plain 0.5x (g = 8) of ShuffleNet's "
        "Table 2 counts 40.5M here (shufflenet_v1(8, 0.5), whose 12-channel stem is rounded to 16 so "
        "that 8 groups divide it, as in the authors' released 0.5x (g = 8), which their README gives as 40M)."
    ),
}


def mobilenet_table() -> list[TableRow]:
    """MobileNet's comparison to popular models (Howard et al. 2017, Table 8), as quoted in section 3.

    ImageNet accuracy, million mult-adds and million parameters for MobileNet-224,
    GoogLeNet and VGG-16, each counted at 224x224. Section 3, "Depthwise separable
    convolution".

    Returns
    -------
    list of TableRow
    """
    from . import models

    return [
        _row("1.0 MobileNet-224", "70.6%", 569 * MILLION, 4_200_000, _count(models.mobilenet_v1),
             NOTES["mobilenet"]),
        _row("GoogLeNet", "69.8%", 1550 * MILLION, 6_800_000, _count(models.googlenet), NOTES["googlenet"]),
        _row("VGG 16", "71.5%", 15300 * MILLION, 138 * MILLION, _count(models.vgg16), NOTES["vgg16"]),
    ]


def shufflenet_table() -> list[TableRow]:
    """ShuffleNet's complexity comparison (Zhang et al., arXiv v1, Table 6), as quoted in section 5.

    Classification error (%) and complexity in MFLOPs, which ShuffleNet counts as
    multiply-adds (``printed_mult_adds``; the table has no parameter column). PVANET and
    "ShuffleNet 0.5x (arch2, g=8)" are quoted, not counted (see their notes). Section 5,
    "Shuffle convolution".

    Returns
    -------
    list of TableRow
    """
    from . import models

    return [
        _row("VGG-16", "28.5", 15300 * MILLION, None, _count(models.vgg16), NOTES["vgg16"]),
        _row("ShuffleNet 2x (g = 3)", "29.1", 524 * MILLION, None,
             _count(lambda: models.shufflenet_v1(3, 2.0))),
        _row("PVANET (our impl.)", "35.3", 557 * MILLION, None, None, NOTES["pvanet"]),
        _row("ShuffleNet 1x (g = 3)", "34.1", 140 * MILLION, None,
             _count(lambda: models.shufflenet_v1(3, 1.0)), NOTES["shufflenet_1x"]),
        _row("AlexNet", "42.8", 720 * MILLION, None, _count(models.alexnet), NOTES["alexnet"]),
        _row("SqueezeNet", "42.5", 833 * MILLION, None, _count(models.squeezenet), NOTES["squeezenet"]),
        _row("ShuffleNet 0.5x (arch2, g = 8)", "42.7", 40 * MILLION, None, None, NOTES["arch2"]),
    ]


def separable_example() -> list[TableRow]:
    """The lecture's worked example: a 12x12x3 input, 5x5 kernels, an 8x8x256 output.

    Ordinary convolution: ``5*5*3*8*8*256 = 1,228,800`` multiply-adds. Depthwise separable:
    depthwise ``5*5*3*8*8 = 4,800`` plus pointwise ``3*8*8*256 = 49,152``, that is
    **53,952**; the slide prints "52,952", a slip of one digit. The ratio is
    ``1/C_O + 1/(K1*K2) = 1/256 + 1/25``. Parameters are the weights (no bias). Section 3,
    "Depthwise separable convolution".

    Returns
    -------
    list of TableRow
        Ordinary, depthwise, pointwise and depthwise separable; the slide prints only
        the first and the last (``None`` for the others).
    """
    c_in, c_out, k, out = 3, 256, (5, 5), (8, 8)
    ordinary = counting.conv_mult_adds(c_in, c_out, k, out), counting.conv_params(c_in, c_out, k)
    depthwise = counting.depthwise_mult_adds(c_in, k, out), counting.conv_params(c_in, c_in, k, groups=c_in)
    pointwise = counting.pointwise_mult_adds(c_in, c_out, out), counting.conv_params(c_in, c_out, 1)
    separable = (counting.depthwise_separable_mult_adds(c_in, c_out, k, out),
                 counting.depthwise_separable_params(c_in, c_out, k))
    ratio = counting.depthwise_separable_ratio(c_out, k)
    return [
        _row("ordinary convolution 5x5, 3 -> 256", "", 1_228_800, None, ordinary),
        _row("depthwise 5x5, 3 channels", "", None, None, depthwise),
        _row("pointwise 1x1, 3 -> 256", "", None, None, pointwise),
        _row("depthwise separable", "", 52_952, None, separable,
             f"The slide's 52,952 is a slip for 4,800 + 49,152 = 53,952: {separable[0] / ordinary[0]:.4%} "
             f"of the ordinary convolution, = 1/256 + 1/25 = {ratio:.4%}."),
    ]


def _mobilenet_layer_type(module) -> str | None:
    from torch import nn

    if isinstance(module, nn.Linear):
        return "FC"
    if isinstance(module, nn.Conv2d):
        k = "x".join(map(str, module.kernel_size))
        depthwise = module.groups == module.in_channels > 1
        return f"Conv DW {k}" if depthwise else f"Conv {k}"
    return None


def mobilenet_layer_types() -> list[ShareRow]:
    """MobileNet's Table 2, "Resource per layer type": shares of multiply-adds and of weights.

    Counted on :func:`convlib.models.mobilenet_v1` at 224x224 from
    :func:`convlib.counting.layer_report`, grouping the layers by type. Weights only:
    the printed parameter shares add up to 100% over convolution and FC weights (the FC
    row's 24.33% is 1,024,000 of 4,209,088), without biases or batch norm.

    The printed "Conv 3x3" share of multiply-adds, 1.19%, is a slip: the first layer
    (3x3x3 to 32 channels at 112x112) is 10,838,016 of 568,740,352 multiply-adds, 1.91%;
    with 1.19% the printed column adds up to 99.29%, with 1.91% to 100.01%.

    Returns
    -------
    list of ShareRow
        "Conv 1x1", "Conv DW 3x3", "Conv 3x3", "FC", in the paper's order.
    """
    import torch

    from . import models

    with torch.device("meta"):
        model = models.mobilenet_v1()
    modules = dict(model.named_modules())
    mult_adds: dict[str, int] = {}
    weights: dict[str, int] = {}
    for row in counting.layer_report(model, model.input_size).rows:
        layer_type = _mobilenet_layer_type(modules.get(row.layer))
        if layer_type is not None:
            mult_adds[layer_type] = mult_adds.get(layer_type, 0) + row.mult_adds
            weights[layer_type] = weights.get(layer_type, 0) + modules[row.layer].weight.numel()
    total_mult_adds, total_weights = sum(mult_adds.values()), sum(weights.values())
    printed = {"Conv 1x1": (0.9486, 0.7459), "Conv DW 3x3": (0.0306, 0.0106),
               "Conv 3x3": (0.0119, 0.0002), "FC": (0.0018, 0.2433)}
    slip = ("Slip: 1.19% for 1.91%. The first layer is 10,838,016 of 568,740,352 multiply-adds; "
            "the printed column adds up to 99.29% with 1.19% and to 100.01% with 1.91%.")
    return [ShareRow(name, pm, mult_adds[name] / total_mult_adds, pp, weights[name] / total_weights,
                     slip if name == "Conv 3x3" else "")
            for name, (pm, pp) in printed.items()]


# ----------------------------------------------------------------------------- formatting


def _cell(field: str, value, in_full: bool) -> str:
    if value is None:
        return "-"
    if field.endswith("_diff"):
        return f"{100 * value:+.2f}%"
    if field.endswith("_share"):
        return f"{100 * value:.2f}%"
    if isinstance(value, int):
        if in_full:
            return f"{value:,}"
        # millions, as the papers print them, with one more digit than they do
        return f"{value / MILLION:,.1f}M" if value >= 100 * MILLION else f"{value / MILLION:.2f}M"
    return str(value)


def format_table(rows) -> str:
    """Rows of :class:`TableRow` or :class:`ShareRow` as a plain-text table, notes as numbered footnotes.

    Counts are shown in millions (``568.7M``, ``4.23M``), or in full when every count
    in the table is below ten million (the worked example); relative differences as
    signed percentages; ``-`` marks a value the table does not have.
    """
    rows = list(rows)
    if not rows:
        return ""
    fields = [f for f in rows[0]._fields if f != "note"]
    head = [f.replace("mult_adds", "mult-adds").replace("_", " ") for f in fields]
    counts = [v for row in rows for v in row if isinstance(v, int) and not isinstance(v, bool)]
    in_full = all(v < 10 * MILLION for v in counts)
    notes: list[str] = []
    body = []
    for row in rows:
        cells = [_cell(f, getattr(row, f), in_full) for f in fields]
        if row.note:
            notes.append(row.note)
            cells[0] += f" [{len(notes)}]"
        body.append(cells)
    widths = [max(len(line[j]) for line in [head, *body]) for j in range(len(fields))]

    def fmt(line):
        # names (the first column: model or layer_type) left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                         for j, (c, w) in enumerate(zip(line, widths, strict=True)))

    lines = [fmt(head), "  ".join("-" * w for w in widths), *map(fmt, body)]
    lines += [""] * bool(notes) + [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(line.rstrip() for line in lines)

