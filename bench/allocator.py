"""glibc's allocator held in the state a long-running process reaches, so that neither side pays for the other's past.

glibc's ``malloc`` serves a request above its *mmap threshold* with fresh
pages from the kernel and gives them back on ``free``; the next call faults
them in again, zeroed. The threshold starts at 128 KiB and rises (up to 32 MiB
on 64-bit) to the size of the largest such block freed since, the *trim
threshold* (past which a free heap top goes back to the kernel) beside it to
twice that. So the same call costs more or less with what ran before it in the
process: torch's depthwise convolution in the benchmark (a 6.1 MiB output)
faulted in 2,400-4,600 fresh pages a call and took 6-9 ms in a fresh process,
and 0.45-0.6 ms once one call of convlib's had freed its larger scratch, on
this 2-core machine. Which side ran first decided the ratio by a factor of ten.

:func:`pin` sets both thresholds to where the dynamic rule ends
(``M_MMAP_THRESHOLD`` = 32 MiB, ``M_TRIM_THRESHOLD`` = 64 MiB) before anything
is timed: the state a long-running training or notebook process is in after
its first large free, the same for every side and every block. Blocks above
32 MiB still come from fresh pages each call, as they do in such a process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

# mallopt(3) parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit (4 MiB * sizeof(long)): the highest its dynamic threshold climbs
MMAP_THRESHOLD = 32 * 2**20
# the dynamic rule keeps the trim threshold at twice the mmap threshold
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD


@dataclass(frozen=True)
class Pinned:
    """What :func:`pin` did."""

    done: bool
    mmap_threshold: int = 0  # bytes
    trim_threshold: int = 0  # bytes
    why_not: str = ""

    def describe(self) -> str:
        if not self.done:
            return f"allocator: as it comes ({self.why_not}); a side's time may depend on what ran before it"
        return (f"allocator: glibc's mmap threshold pinned at {self.mmap_threshold / 2**20:g} MiB and trim threshold "
                f"at {self.trim_threshold / 2**20:g} MiB, where a long-running process's dynamic thresholds end")


def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def pin(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD, libc=None) -> Pinned:
    """Fix glibc's mmap and trim thresholds (``mallopt``); a no-op that says why where there is no glibc.

    ``libc`` is injectable for tests; by default the process's C library.
    """
    for name, value in (("mmap_threshold", mmap_threshold), ("trim_threshold", trim_threshold)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"pin: {name} must be a positive number of bytes, got {value!r}")
    if mmap_threshold > MMAP_THRESHOLD:
        raise ValueError(f"pin: mmap_threshold must be at most {MMAP_THRESHOLD} bytes (glibc refuses more), "
                         f"got {mmap_threshold}")
    try:
        libc = libc or _libc()
        mallopt = libc.mallopt
    except (AttributeError, OSError, TypeError):
        return Pinned(False, why_not="no glibc mallopt here")
    if not (mallopt(M_MMAP_THRESHOLD, mmap_threshold) and mallopt(M_TRIM_THRESHOLD, trim_threshold)):
        return Pinned(False, why_not="mallopt refused the thresholds")
    return Pinned(True, mmap_threshold, trim_threshold)
