"""The benchmark's pure parts: load arithmetic from given /proc snapshots, the quiet wait and filtering,
the derived peak, the environment of the benchmark's process, and the tables. No timing is asserted:
``make bench`` measures, these check what it computes from its measurements."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import allocator, compare, machine
from bench.quiet import (
    Block,
    Load,
    Ratio,
    Snapshot,
    Summary,
    Waiter,
    busy_ticks,
    foreign_load,
    own_ticks,
    paired_ratio,
    summarize,
)

ROOT = Path(__file__).resolve().parent.parent

# A /proc/stat as Linux writes it (proc(5)): user nice system idle iowait irq softirq steal guest guest_nice.
PROC_STAT = """\
cpu  889421 617 95680 332515 1573 0 1229 4752 0 0
cpu0 444000 300 47000 166000 700 0 600 2400 0 0
cpu1 445421 317 48680 166515 873 0 629 2352 0 0
intr 123456 0 0
ctxt 987654
"""


def self_stat(comm: str, utime: int, stime: int, cutime: int, cstime: int) -> str:
    """A /proc/self/stat line: pid (comm) state, fields 4-13, then utime stime cutime cstime (14-17) and more."""
    fields = ["S", *[str(i) for i in range(4, 14)], str(utime), str(stime), str(cutime), str(cstime),
              *["0"] * 35]
    return f"4242 ({comm}) " + " ".join(fields) + "\n"


# --- the counters


def test_busy_ticks_sums_user_nice_system_irq_softirq_steal():
    # 889421 + 617 + 95680 + 0 + 1229 + 4752: idle (332515) and iowait (1573) are not busy; guest is inside user
    assert busy_ticks(PROC_STAT) == 889421 + 617 + 95680 + 0 + 1229 + 4752


def test_busy_ticks_reads_the_total_line_not_a_cpu():
    assert busy_ticks(PROC_STAT.split("\n", 1)[1] + "cpu  1 2 3 100 100 4 5 6 0 0\n") == 1 + 2 + 3 + 4 + 5 + 6


@pytest.mark.parametrize("text, message", [
    ("cpu0 1 2 3 4 5 6 7 8\nintr 0\n", "no 'cpu' line"),
    ("cpu  1 2 3 4\n", "has 4 fields, expected at least 8"),
])
def test_busy_ticks_rejects_a_stat_it_cannot_read(text, message):
    with pytest.raises(ValueError, match=message):
        busy_ticks(text)


@pytest.mark.parametrize("comm", ["python", "py thon", "a) (b", "x)"])
def test_own_ticks_counts_from_the_last_parenthesis(comm):
    assert own_ticks(self_stat(comm, 300, 40, 5, 6)) == 300 + 40 + 5 + 6


def test_own_ticks_rejects_a_truncated_stat():
    with pytest.raises(ValueError, match="expected at least 17"):
        own_ticks("4242 (python) S 1 2 3")
    with pytest.raises(ValueError, match="no '\\)'"):
        own_ticks("4242 python S")


def test_foreign_load_is_busy_minus_own_per_second_of_wall_time():
    # 100 busy ticks, 60 of them ours: 40 ticks = 0.4 s of CPU in 0.5 s of wall time = 0.8 of a core
    load = foreign_load(Snapshot(10.0, 1000, 500), Snapshot(10.5, 1100, 560), ticks_per_second=100)
    assert load == pytest.approx(0.8)


def test_foreign_load_from_two_proc_snapshots():
    before = Snapshot(0.0, busy_ticks(PROC_STAT), own_ticks(self_stat("python", 300, 40, 0, 0)))
    later = PROC_STAT.replace("cpu  889421 617 95680", "cpu  889481 617 95700")  # 60 user + 20 system
    after = Snapshot(0.4, busy_ticks(later), own_ticks(self_stat("python", 350, 45, 0, 0)))  # 55 ours
    # (80 - 55) ticks / 100 per s / 0.4 s = 0.625 cores
    assert foreign_load(before, after, 100) == pytest.approx(0.625)


def test_foreign_load_is_never_negative_and_needs_time_to_pass():
    assert foreign_load(Snapshot(0.0, 100, 0), Snapshot(1.0, 150, 52), 100) == 0.0  # a tick's uncertainty
    with pytest.raises(ValueError, match="must come after the first"):
        foreign_load(Snapshot(1.0, 0, 0), Snapshot(1.0, 0, 0), 100)


# --- the wait


class FakeMachine:
    """Counters that advance by the given foreign load (cores) during each window the waiter sleeps."""

    def __init__(self, loads, hz=100):
        self.loads, self.hz, self.clock, self.busy = list(loads), hz, 0.0, 0

    def sleep(self, seconds):
        load = self.loads.pop(0) if self.loads else self.last
        self.last = load
        self.busy += round(load * seconds * self.hz)
        self.clock += seconds

    def take(self):
        return Snapshot(self.clock, self.busy, 0)

    def waiter(self, **kw):
        return Waiter(load=Load(self.take, self.hz), sleep=self.sleep, **kw)


def test_wait_ends_at_the_first_quiet_window():
    fake = FakeMachine([1.0, 0.5, 0.05, 0.0])  # 20, 10, 1 and 0 ticks in windows of 0.2 s
    wait = fake.waiter(window=0.2)()
    assert wait.quiet and wait.waited == pytest.approx(0.6) and wait.load == pytest.approx(0.05)
    assert fake.loads == [0.0]  # it stopped measuring there


def test_wait_always_measures_one_window_the_pause():
    fake = FakeMachine([0.0])
    waiter = fake.waiter(window=0.3)
    assert waiter().waited == pytest.approx(0.3)
    assert waiter.spent == 0  # the pause is not waiting


def test_wait_gives_up_at_its_timeout_and_says_so():
    fake = FakeMachine([2.0])  # always busy
    wait = fake.waiter(window=0.3, timeout=1.0)()
    # windows end at 0.3, 0.6, 0.9 s; a fourth would end past 1.0 s
    assert not wait.quiet and wait.waited == pytest.approx(0.9) and wait.load == pytest.approx(2.0)


def test_wait_stops_waiting_when_the_run_budget_is_spent():
    fake = FakeMachine([2.0])
    waiter = fake.waiter(window=0.3, timeout=20, budget=0.6)
    first = waiter()
    # the pause, then two more windows (0.6 s of the budget); a third would exceed it
    assert first.waited == pytest.approx(0.9) and waiter.spent == pytest.approx(0.6)
    assert waiter().waited == pytest.approx(0.3)  # later blocks get the pause alone
    assert [w.quiet for w in waiter.waits] == [False, False]


def test_wait_without_counters_does_not_wait():
    load = Load(lambda: None)
    load.available = False  # as on a system without /proc
    slept = []
    wait = Waiter(load=load, sleep=slept.append, window=0.3)()
    assert slept == [0.3] and not wait.quiet and math.isnan(wait.load)


@pytest.mark.parametrize("kw, message", [({"window": 0}, "window must be > 0"),
                                         ({"timeout": -1}, "timeout must be a number >= 0"),
                                         ({"threshold": float("nan")}, "threshold must be a number >= 0")])
def test_waiter_rejects_bad_bounds(kw, message):
    with pytest.raises(ValueError, match=message):
        Waiter(load=Load(lambda: Snapshot(0, 0, 0), 100), **kw)


# --- quiet filtering


def test_summary_median_uses_only_the_quiet_blocks():
    blocks = [Block((1.0, 2.0, 3.0), 0.0), Block((100.0, 100.0), 0.5), Block((50.0,), float("nan")),
              Block((4.0, 5.0), 0.05)]
    s = summarize(blocks)
    # quiet samples 1, 2, 3, 4, 5: the busy (0.5 core) and unknown (NaN) blocks are left out
    assert (s.median, s.quiet, s.blocks, s.best) == (3.0, 2, 4, 1.0)
    assert not s.busy


def test_summary_without_a_quiet_block_uses_all_and_is_busy():
    s = summarize([Block((1.0, 3.0), 0.2), Block((10.0,), 1.5)])
    assert (s.median, s.quiet, s.blocks) == (3.0, 0, 2) and s.busy


def test_a_block_at_the_threshold_is_busy():
    assert Block((1.0,), 0.099).quiet and not Block((1.0,), 0.1).quiet


def test_summary_needs_samples():
    with pytest.raises(ValueError, match="at least one sample"):
        summarize([Block((), 0.0)])
    with pytest.raises(ValueError, match="at least one sample"):
        summarize([])


# --- the machine


AVX512_CPUINFO = """\
processor\t: 0
model name\t: AMD EPYC
cpu MHz\t\t: 2596.120
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512vl
processor\t: 1
cpu MHz\t\t: 2596.120
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512vl
"""


@pytest.mark.parametrize("flags, vector, f32, f64", [
    # lanes of the widest vector x 2 FLOPs an FMA x 2 units a core; float64 has half the lanes
    ("sse sse2 avx fma avx2 avx512f", "AVX-512", 16 * 2 * 2, 8 * 2 * 2),
    ("sse sse2 avx fma avx2", "AVX2", 8 * 2 * 2, 4 * 2 * 2),
    ("sse sse2 avx", "AVX", 8 * 2 * 2, 4 * 2 * 2),  # no FMA: a multiply beside an add, still 2 a lane
    ("sse sse2", "SSE", 4 * 2 * 2, 2 * 2 * 2),
])
def test_peak_from_cores_clock_and_simd_flags(flags, vector, f32, f64):
    peak = machine.peak_flops(f"cpu MHz\t\t: 2596.120\nflags\t\t: fpu {flags}\n", cores=2)
    assert peak.vector == vector and peak.flops_per_cycle == {"float32": f32, "float64": f64}
    assert peak.flops["float32"] == pytest.approx(2 * 2596.12e6 * f32)
    assert peak.flops["float64"] == pytest.approx(2 * 2596.12e6 * f64)


def test_peak_reads_the_first_cpu_and_describes_how():
    peak = machine.peak_flops(AVX512_CPUINFO, cores=2)
    # 2 x 2596.12 MHz x 64 = 332.3 GFLOP/s float32, half that in float64
    assert peak.describe() == ("peak: 2 cores x 2596 MHz x 64 float32 (32 float64) FLOPs a cycle (AVX-512, "
                               "2 FMA units a core) = 332 GFLOP/s float32, 166 float64")


def test_peak_clock_rises_to_what_a_measured_rate_implies():
    peak = machine.peak_flops(AVX512_CPUINFO, cores=2)
    # 408 GFLOP/s float32 on 2 cores of 64 FLOPs a cycle needs 408e9 / 128 = 3187.5 MHz, above the nominal 2596
    fast = peak.at_least({"float32": 408e9, "float64": 150e9})
    assert fast.mhz == pytest.approx(3187.5) and fast.nominal_mhz == pytest.approx(2596.12)
    assert fast.flops["float32"] == pytest.approx(408e9)
    assert fast.flops["float64"] == pytest.approx(204e9)  # the same clock, half the lanes
    assert "x 3188 MHz (the clock the best large matrix product implies; /proc/cpuinfo says 2596) x 64" in (
        fast.describe())
    # slower rates leave the nominal clock; another run's clock raises it
    assert peak.at_least({"float32": 186e9}).mhz == pytest.approx(2596.12)
    assert peak.at_least({"float32": 186e9}, mhz=3187.5).flops["float32"] == pytest.approx(408e9)


def test_peak_rejects_what_it_cannot_derive():
    with pytest.raises(ValueError, match="no 'cpu MHz' or no 'flags'"):
        machine.peak_flops("model name\t: something\n", cores=2)
    with pytest.raises(ValueError, match="cores must be a positive int, got 0"):
        machine.peak_flops(AVX512_CPUINFO, cores=0)


def test_blas_environment_unsets_only_the_openblas_variables():
    shell = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "512", "OPENBLAS_VERBOSE": "2", "PATH": "/bin"}
    assert machine.blas_environment(shell, "unset") == {"OPENBLAS_VERBOSE": "2", "PATH": "/bin"}
    assert machine.blas_environment(shell, "inherited") == shell
    assert "OPENBLAS_CORETYPE" in shell  # the shell's own is left alone
    with pytest.raises(ValueError, match="setting must be one of \\('unset', 'inherited'\\), got 'none'"):
        machine.blas_environment(shell, "none")


def test_setting_line_says_what_the_shell_had():
    shell = {"OPENBLAS_CORETYPE": "Haswell"}
    assert machine.describe_setting(shell, "unset") == (
        "OpenBLAS settings: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as on a user's machine "
        "(this shell: OPENBLAS_CORETYPE=Haswell)")
    assert machine.describe_setting({}, "inherited") == "OpenBLAS settings: this shell's (none set)"


def test_pools_name_the_kernel_and_threads():
    pools = [{"user_api": "blas", "internal_api": "openblas", "version": "0.3.31", "architecture": "SkylakeX",
              "num_threads": 2, "filepath": "/x/libscipy_openblas64_.so"},
             {"user_api": "openmp", "internal_api": "openmp", "version": None, "num_threads": 2,
              "filepath": "/x/libgomp.so.1"}]
    assert machine.describe_pools(pools) == [
        "BLAS: openblas 0.3.31, kernel SkylakeX, 2 threads (libscipy_openblas64_.so)",
        "openmp: openmp, 2 threads (libgomp.so.1)"]


def blocks(*ms, load=0.0):
    return [Block((m / 1e3,), load) for m in ms]


def test_paired_ratio_cancels_a_change_of_speed_between_rounds():
    """The host slows everything threefold after round 1: convlib 1, 1, 3 ms against torch 1, 3, 3 ms.
    Round by round the ratios are 1, 1/3, 1 (median 1); the whole-run medians would say 1/3."""
    r = paired_ratio(blocks(1, 1, 3), blocks(1, 3, 3))
    assert r == Ratio(pytest.approx(1.0), pytest.approx(2 / 3), pytest.approx(1.0), 3, False)
    assert summarize(blocks(1, 1, 3)).median / summarize(blocks(1, 3, 3)).median == pytest.approx(1 / 3)


def test_paired_ratio_uses_only_rounds_whose_two_blocks_were_quiet():
    ours = blocks(2, 8) + blocks(4, load=0.5)  # the third round's convlib block was busy
    theirs = blocks(1, 2, 1)
    assert paired_ratio(ours, theirs) == Ratio(pytest.approx(3.0), pytest.approx(2.5), pytest.approx(3.5), 2, False)


def test_paired_ratio_without_a_quiet_round_uses_all_and_is_busy():
    r = paired_ratio(blocks(2, 6, load=0.5), blocks(1, 2))
    assert (r.median, r.rounds, r.busy) == (pytest.approx(2.5), 2, True)
    assert paired_ratio(blocks(3), blocks(2)) == Ratio(1.5, 1.5, 1.5, 1, False)


@pytest.mark.parametrize(("ours", "theirs"), [(blocks(1, 2), blocks(1)), ([], [])])
def test_paired_ratio_needs_the_same_rounds(ours, theirs):
    with pytest.raises(ValueError, match="paired_ratio: both sides need the same rounds, at least one; got "
                                         f"{len(ours)} and {len(theirs)} blocks"):
        paired_ratio(ours, theirs)


# --- the tables


def summary(ms, quiet=3, blocks=3):
    return Summary(ms / 1e3, quiet, blocks, ms / 1e3)


def same(value):
    """A paired ratio whose rounds all agreed."""
    return Ratio(value, value, value, 3, False)


def make_row(dtype="float32", torch_quiet=3, ratios=None, **kw):
    from bench.bench_conv import row

    # 5e8 multiply-adds = 1e9 FLOPs: at 2 ms that is 5e11 FLOP/s, half of a 1e12 peak
    return row("conv2d 3x3 N=8 C=64 56x56", dtype, 5 * 10**8,
               {"convlib": summary(2.0), "torch": summary(1.0, quiet=torch_quiet), "gemm": summary(1.25)},
               1e12, ratios or {"ratio": same(2.0), "over_gemm": same(1.6)},
               load=0.02, max_rel_error=7e-7, peak_mb=17.4, output_mb=6.1, **kw)


def test_row_ratios_and_shares_of_peak():
    r = make_row()
    paired = make_row(ratios={"ratio": Ratio(1.8, 1.7, 2.1, 8, False), "over_gemm": Ratio(1.5, 1.4, 1.6, 8, False)})
    assert (paired["ratio"], paired["ratio_quartiles"], paired["over_gemm"], paired["rounds"]) == (1.8, [1.7, 2.1],
                                                                                                  1.5, 8)
    assert make_row(ratios={"ratio": Ratio(1.8, 1.7, 2.1, 8, True), "over_gemm": Ratio(1.5, 1.4, 1.6, 8, False)}
                    )["busy"]
    # 1e9 FLOPs in 2, 1 and 1.25 ms against 1e12 FLOP/s
    assert (r["convlib_peak"], r["torch_peak"], r["gemm_peak"]) == (pytest.approx(0.5), pytest.approx(1.0),
                                                                     pytest.approx(0.8))
    assert (r["quiet"], r["blocks"], r["busy"]) == (9, 9, False)
    assert make_row(torch_quiet=0)["busy"]


def test_table_columns_line_up_under_their_headers():
    from bench.bench_conv import format_table

    lines = format_table([make_row(), make_row(torch_quiet=0), make_row("float64")], "float32").splitlines()
    header, rule, quiet_row, busy_row = lines  # the float64 row is not in the float32 table
    assert set(rule) == {"-"} and len(rule) == len(header) == len(quiet_row)
    # (header, value, whether the header is the last of that name: "torch" and "gemm" also head times)
    for column, value, last in [("convlib ms", "2.00", False), ("torch ms", "1.00", False), ("ratio", "2.00", False),
                                ("IQR", "2.00-2.00", False), ("gemm ms", "1.25", False), ("/gemm", "1.60", False),
                                ("% peak: convlib", "50%", False),
                                ("torch", "100%", True), ("gemm", "80%", True), ("quiet", "9/9", False),
                                ("load", "0.02", False), ("peak MB", "17.4", False), ("rel err", "7.0e-07", False)]:
        end = (header.rindex(column) if last else header.index(column)) + len(column)
        assert quiet_row[:end].endswith(value), (column, quiet_row)
    assert busy_row.endswith("  busy") and "6/9" in busy_row and not quiet_row.endswith("busy")


def test_table_shows_no_share_without_a_peak():
    from bench.bench_conv import format_table, row

    r = row("c", "float32", 10, {s: summary(1.0) for s in ("convlib", "torch", "gemm")}, None,
            {"ratio": same(1.0), "over_gemm": same(1.0)}, load=float("nan"), max_rel_error=0.0, peak_mb=1.0,
            output_mb=1.0)
    assert "  -      -     - " in format_table([r], "float32").splitlines()[2]


def test_large_gemm_line():
    from bench.bench_conv import LARGE_GEMM, format_large_gemm

    line = format_large_gemm({"float32": {"numpy": {"flops": 339e9, "quiet": 3, "blocks": 3},
                                          "torch": {"flops": 172e9, "quiet": 0, "blocks": 3}}},
                             {"flops": {"float32": 332e9}})
    # 339 / 332 = 102%, 172 / 332 = 52%
    assert line.endswith("float32 numpy 339 GFLOP/s (102% of peak), torch 172 GFLOP/s (52% of peak), busy")
    assert f"{LARGE_GEMM}x{LARGE_GEMM}" in line


def test_import_time_line():
    from bench.import_time import format_rows

    assert format_rows([{"module": "convlib", "best_s": 0.1214, "median_s": 0.13, "runs": 7, "quiet": 6}]) == (
        "import convlib: best 0.121 s, median 0.130 s of 7 fresh interpreters (6 quiet)")


# --- two runs compared


def result(*ratios, busy=False):
    return {"rows": [{"case": f"case {i}", "dtype": "float32", "ratio": r, "over_gemm": 1.0, "busy": busy}
                     for i, r in enumerate(ratios)]}


def test_compare_gives_each_ratios_change():
    rows = compare.compare(result(2.0, 1.0), result(2.2, 0.5))
    changes = {(r["case"], r["key"]): r["change"] for r in rows}
    # 2.2 / 2.0 - 1 = +10%, 0.5 / 1.0 - 1 = -50%, convlib/gemm unchanged
    assert changes == {("case 0", "ratio"): pytest.approx(0.1), ("case 0", "over_gemm"): 0.0,
                       ("case 1", "ratio"): pytest.approx(-0.5), ("case 1", "over_gemm"): 0.0}


def test_compare_verdict_and_marks():
    close = compare.compare(result(2.0, 1.0), result(2.1, 0.95))
    far = compare.compare(result(2.0, 1.0), result(2.1, 0.5, busy=True))
    assert compare.agree(close) and not compare.agree(far)
    text = compare.format_comparison(far, "first", "second", tolerance=0.10)
    assert "-50.0%  <- beyond 10%  busy" in text
    assert text.splitlines()[-1] == "disagree within 10%: the largest change is -50.0% (case 1, float32, convlib/torch)"
    assert compare.format_comparison(close, "a", "b", 0.10).splitlines()[-1].startswith("agree within 10%: ")


def test_compare_says_whether_a_change_lies_within_the_runs_spread():
    a, b = result(2.0, 1.0), result(2.4, 0.5)
    a["rows"][0]["ratio_quartiles"], b["rows"][0]["ratio_quartiles"] = [1.8, 2.3], [2.2, 2.6]  # overlap
    a["rows"][1]["ratio_quartiles"], b["rows"][1]["ratio_quartiles"] = [0.9, 1.1], [0.45, 0.55]  # apart
    rows = compare.compare(a, b)
    assert [r["overlap"] for r in rows] == [True, None, False, None]  # no quartiles for convlib/gemm here
    lines = compare.format_comparison(rows, "first", "second", tolerance=0.10).splitlines()
    assert lines[2].endswith("+20.0%  <- beyond 10%, within the runs' spread")
    assert lines[4].endswith("-50.0%  <- beyond 10%, the runs' spreads apart")


def test_compare_skips_cases_only_one_run_has():
    assert [r["case"] for r in compare.compare(result(1.0, 2.0), result(1.0))] == ["case 0", "case 0"]


def test_report_counts_quiet_blocks_and_names_where_convlib_is_faster():
    from bench.bench_conv import format_result

    slow, fast = make_row(), make_row()
    fast.update(case="depthwise", ratio=0.5)
    busy = make_row("float64", torch_quiet=0)
    result = {"pools": [], "torch": "torch 2.13.0+cpu: CPU capability AVX512", "peak": None, "load_measured": True,
              "allocator": "allocator: pinned", "large_gemm": {}, "rows": [slow, fast, busy],
              "waits": {"blocks": 27, "quiet_before": 20, "waited_s": 41.5, "timeout_s": 20.0, "budget_s": 600.0}}
    lines = format_result(result).splitlines()
    # 9 + 9 + 6 quiet blocks of 27 (the busy row's torch had none of its 3)
    assert ("quiet: 24/27 timed blocks had other processes under 0.1 core; before each block the run waited up to "
            "20 s for such a moment (20/27 found one), 42 s in all with the 0.3 s pause each gets "
            "(at most 600 s beyond the pauses)") in lines
    assert "convlib faster than torch on 1 of 2 quiet shapes: depthwise" in lines
    busy["ratio"] = 0.5  # a busy row's ratio is not counted
    assert "convlib faster than torch on 0 of 0 quiet shapes (1 busy left out)" in format_result(result).splitlines()
    assert lines[-1].startswith("busy: ")


# --- the allocator held still


class FakeLibc:
    """A C library whose mallopt records its calls and answers ``answer`` (glibc: 1 done, 0 refused)."""

    def __init__(self, answer=1):
        self.calls, self.answer = [], answer

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return self.answer


def test_pin_sets_glibcs_mmap_and_trim_thresholds():
    libc = FakeLibc()
    pinned = allocator.pin(libc=libc)
    # mallopt(3): M_MMAP_THRESHOLD is -3, M_TRIM_THRESHOLD -1; 32 MiB is glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
    assert libc.calls == [(-3, 32 * 1024 * 1024), (-1, 64 * 1024 * 1024)]
    assert pinned.done
    assert pinned.describe() == ("allocator: glibc's mmap threshold pinned at 32 MiB and trim threshold at 64 MiB, "
                                 "where a long-running process's dynamic thresholds end")


@pytest.mark.parametrize(("libc", "why"), [(FakeLibc(answer=0), "mallopt refused the thresholds"),
                                           (object(), "no glibc mallopt here")])
def test_pin_says_why_it_could_not(libc, why):
    pinned = allocator.pin(libc=libc)
    assert not pinned.done
    assert pinned.describe() == (f"allocator: as it comes ({why}); a side's time may depend on what ran before it")


@pytest.mark.parametrize(("kw", "message"), [
    ({"mmap_threshold": 0}, "pin: mmap_threshold must be a positive number of bytes, got 0"),
    ({"trim_threshold": 1.5}, "pin: trim_threshold must be a positive number of bytes, got 1.5"),
    ({"mmap_threshold": 64 * 2**20}, "pin: mmap_threshold must be at most 33554432 bytes (glibc refuses more), "
                                     "got 67108864"),
])
def test_pin_rejects_thresholds_glibc_would_not_take(kw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        allocator.pin(libc=FakeLibc(), **kw)


# torch's depthwise convolution of the benchmark, 20 calls after one; print the page faults the kernel counted.
FAULTS = """
import resource, sys
import torch
import torch.nn.functional as F
from bench import allocator
if sys.argv[1] == "pin":
    assert allocator.pin().done
torch.set_num_threads(2)
x, w = torch.randn(8, 256, 28, 28), torch.randn(256, 1, 3, 3)
F.conv2d(x, w, padding=1, groups=256)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    F.conv2d(x, w, padding=1, groups=256)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and its page-fault counter are Linux's")
def test_pinned_allocator_stops_torch_refaulting_its_buffers():
    """The kernel's own count: as it comes, each call faults in hundreds to thousands of fresh 4 KiB pages (its
    6.1 MiB output is 1568); pinned, the heap keeps them."""
    def faults(mode):
        out = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, check=True,
                             cwd=ROOT, env={k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")})
        return int(out.stdout)

    as_is, pinned = faults("as-is"), faults("pin")
    assert as_is >= 20 * 400, as_is  # measured 860-4,700 a call
    assert pinned * 4 < as_is, (pinned, as_is)  # measured 80-160 a call
