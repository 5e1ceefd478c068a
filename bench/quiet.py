"""Waiting for a quiet machine before a timed block, and knowing afterwards whether it was.

On a shared machine other processes take cores from a benchmark in whole
scheduler ticks; torch's two threads stall whenever one of them is preempted,
so a ratio measured in a busy minute says little. Before each timed block the
benchmark waits, up to a bound, for a window in which everything else on the
machine used under ``QUIET_CORES`` of a core, and it measures that foreign load
again over the block itself. Only quiet blocks count in the headline medians.

Foreign load, in cores, over an interval of ``wall`` seconds::

    (busy ticks of all CPUs, /proc/stat  -  this process's own ticks, /proc/self/stat) / ticks_per_second / wall

Busy is ``user + nice + system + irq + softirq + steal``: steal is time the
hypervisor gave to other machines, lost to the benchmark as surely as a core
taken by a neighbour; guest time is already inside user and nice; iowait is
idle. Own is ``utime + stime`` of all this process's threads, plus
``cutime + cstime`` of its children that have been waited for (the fresh
interpreters of the import timing). Both counters advance in ticks
(``SC_CLK_TCK``, 100 a second), so one reading is uncertain by about a tick:
over a 0.5 s block on 2 cores that is a few hundredths of a core.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Other processes using less than this many cores leave a timed block alone.
QUIET_CORES = 0.1
# Seconds of one measuring window of the wait. It doubles as the pause that lets
# BLAS and OpenMP worker threads of the previous block fall asleep (OpenBLAS spins
# about 0.1 s after its last job); their spinning is this process's own time.
WINDOW = 0.3
# The most seconds to wait before one block, and before all of them together;
# past either bound the block is timed anyway and its measured load decides.
TIMEOUT = 20.0
BUDGET = 600.0
# Rounds of timed blocks, each side one block a round, per shape and dtype: the
# ratios are medians over rounds (:func:`paired_ratio`), and a virtual machine's
# host changes speed by a fifth over seconds, so many short rounds beat few long.
ROUNDS = 8

# The busy fields of the "cpu" line of /proc/stat, by position after the label
# (proc(5): user nice system idle iowait irq softirq steal guest guest_nice).
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)


def busy_ticks(proc_stat: str) -> int:
    """Ticks all CPUs together have spent busy, from the text of ``/proc/stat``."""
    for line in proc_stat.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]]
            if len(values) < 8:
                raise ValueError(f"busy_ticks: the 'cpu' line of /proc/stat has {len(values)} fields, "
                                 f"expected at least 8 (user ... steal): {line!r}")
            return sum(values[i] for i in _BUSY_FIELDS)
    raise ValueError("busy_ticks: /proc/stat has no 'cpu' line")


def own_ticks(proc_self_stat: str) -> int:
    """Ticks this process and its waited-for children have run, from the text of ``/proc/self/stat``.

    The command name (field 2) is in parentheses and may itself hold spaces and
    parentheses, so fields are counted from the last ``)``; utime, stime,
    cutime and cstime are fields 14-17 (proc(5)).
    """
    close = proc_self_stat.rfind(")")
    if close < 0:
        raise ValueError(f"own_ticks: /proc/self/stat has no ')' after the command name: {proc_self_stat[:80]!r}")
    rest = proc_self_stat[close + 1:].split()  # rest[0] is field 3 (state)
    if len(rest) < 15:
        raise ValueError(f"own_ticks: /proc/self/stat has {len(rest) + 2} fields, expected at least 17")
    return sum(int(v) for v in rest[11:15])  # fields 14..17


@dataclass(frozen=True)
class Snapshot:
    """The CPU counters at one moment."""

    wall: float  # seconds, time.perf_counter
    busy: int  # ticks, all CPUs
    own: int  # ticks, this process and its waited-for children


def foreign_load(before: Snapshot, after: Snapshot, ticks_per_second: float) -> float:
    """Cores that other processes (and other machines, through steal) used between two snapshots.

    Never below zero: a negative difference is the counters' one-tick uncertainty.
    """
    wall = after.wall - before.wall
    if wall <= 0:
        raise ValueError(f"foreign_load: the second snapshot must come after the first, got {wall} s between them")
    foreign = (after.busy - before.busy) - (after.own - before.own)
    return max(0.0, foreign / ticks_per_second / wall)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def can_measure() -> bool:
    """Whether this system has the counters (Linux's /proc)."""
    return os.path.exists("/proc/stat") and os.path.exists("/proc/self/stat")


def snapshot() -> Snapshot:
    """The counters now."""
    return Snapshot(time.perf_counter(), busy_ticks(_read("/proc/stat")), own_ticks(_read("/proc/self/stat")))


def ticks_per_second() -> float:
    return float(os.sysconf("SC_CLK_TCK"))


class Load:
    """Measures foreign load between two moments; NaN where there are no counters (not Linux)."""

    def __init__(self, take: Callable[[], Snapshot] | None = None, hz: float | None = None):
        self.available = take is not None or can_measure()
        self.take = take or snapshot
        self.hz = hz or (ticks_per_second() if self.available else 1.0)

    def start(self) -> Snapshot | None:
        return self.take() if self.available else None

    def since(self, start: Snapshot | None) -> float:
        return foreign_load(start, self.take(), self.hz) if start is not None else float("nan")


@dataclass(frozen=True)
class Wait:
    """How the wait before one block went."""

    quiet: bool  # a quiet window came before the bound
    waited: float  # seconds
    load: float  # cores, foreign load of the last window


class Waiter:
    """Waits for a quiet window before each block, within a bound per block and one for the whole run.

    ``sleep`` and ``load`` are injectable so that the arithmetic can be tested
    on given counters; the defaults read the machine.
    """

    def __init__(self, timeout: float = TIMEOUT, budget: float = BUDGET, window: float = WINDOW,
                 threshold: float = QUIET_CORES, load: Load | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        for name, value in (("timeout", timeout), ("budget", budget), ("window", window), ("threshold", threshold)):
            if not value >= 0:
                raise ValueError(f"Waiter: {name} must be a number >= 0 (seconds; cores for threshold), "
                                 f"got {value!r}")
        if window == 0:
            raise ValueError("Waiter: window must be > 0 seconds, got 0")
        self.timeout, self.budget, self.window, self.threshold = timeout, budget, window, threshold
        self.load = load or Load()
        self.sleep = sleep
        self.spent = 0.0  # seconds waited in all, beyond the first window of each block
        self.waits: list[Wait] = []

    def __call__(self) -> Wait:
        """Wait for a window with foreign load under the threshold; always measure at least one window."""
        waited, load = 0.0, float("nan")
        while True:
            start = self.load.start()
            self.sleep(self.window)
            load = self.load.since(start)
            waited += self.window
            quiet = load < self.threshold
            # the first window is the pause every block gets; the budget counts only the waiting past it
            left = min(self.timeout - waited, self.budget - self.spent - (waited - self.window))
            if quiet or left < self.window or not self.load.available:
                break
        self.spent += waited - self.window
        wait = Wait(quiet, waited, load)
        self.waits.append(wait)
        return wait


@dataclass(frozen=True)
class Block:
    """One timed block: its samples (seconds) and the foreign load measured over it."""

    samples: tuple[float, ...]
    load: float  # cores; NaN if unknown
    waited: float = 0.0  # seconds waited for quiet before it

    @property
    def quiet(self) -> bool:
        return self.load < QUIET_CORES  # NaN (unknown) is not quiet


@dataclass(frozen=True)
class Summary:
    """The headline of a side's blocks."""

    median: float  # seconds: of the quiet blocks' samples, or of all if none was quiet
    quiet: int  # quiet blocks
    blocks: int  # all blocks
    best: float  # seconds: the fastest sample of any block

    @property
    def busy(self) -> bool:
        """No quiet block: the median is over busy blocks and says little."""
        return self.quiet == 0


def summarize(blocks: Sequence[Block]) -> Summary:
    """Median of the samples of the quiet blocks (all blocks when none was quiet)."""
    if not blocks or not all(b.samples for b in blocks):
        raise ValueError(f"summarize: every block needs at least one sample, got {[len(b.samples) for b in blocks]}")
    quiet = [b for b in blocks if b.quiet]
    used = quiet or list(blocks)
    return Summary(statistics.median(s for b in used for s in b.samples), len(quiet), len(blocks),
                   min(s for b in blocks for s in b.samples))


@dataclass(frozen=True)
class Ratio:
    """One side's time over another's, round by round: the median of the rounds' ratios and their quartiles."""

    median: float
    low: float  # 25th percentile of the rounds' ratios
    high: float  # 75th percentile
    rounds: int  # rounds whose two blocks were both quiet (all rounds, if none was)
    busy: bool  # no round had both blocks quiet


def paired_ratio(ours: Sequence[Block], theirs: Sequence[Block]) -> Ratio:
    """The ratio of two sides' times from the blocks they ran in the same rounds, a few seconds apart.

    On a virtual machine the host's other guests slow every side by turns, by
    a fifth or more over seconds, unseen by this machine's CPU counters. The
    two blocks of one round run within about a second of each other, so their
    ratio cancels most of a slow change that a ratio of whole-run medians
    would keep; the median over the rounds (both blocks quiet) then sets aside
    the rounds a change fell between.
    """
    if len(ours) != len(theirs) or not ours:
        raise ValueError(f"paired_ratio: both sides need the same rounds, at least one; got {len(ours)} and "
                         f"{len(theirs)} blocks")
    pairs = list(zip(ours, theirs, strict=True))
    quiet = [(a, b) for a, b in pairs if a.quiet and b.quiet]
    ratios = [statistics.median(a.samples) / statistics.median(b.samples) for a, b in quiet or pairs]
    low, high = (statistics.quantiles(ratios, n=4, method="inclusive")[::2] if len(ratios) > 1
                 else (ratios[0], ratios[0]))
    return Ratio(statistics.median(ratios), low, high, len(ratios), not quiet)
