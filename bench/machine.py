"""What the benchmark ran on: BLAS settings and kernel, torch's CPU capability, the cores' peak FLOP/s.

OpenBLAS reads ``OPENBLAS_CORETYPE`` (which kernel, e.g. ``Haswell``'s AVX2 on
an AVX-512 machine) and ``OPENBLAS_L2_SIZE`` when numpy loads it, so the
benchmark's own process must start without them: ``python -m bench`` runs the
timings in a child interpreter whose environment ``blas_environment`` made.
This module imports numpy only inside the functions that report on it.

The peak is derived, not looked up: cores this process may run on x the
clock /proc/cpuinfo gives ("cpu MHz") x FLOPs per cycle per core from its SIMD
flags: the widest vector (AVX-512: 16 float32 lanes, AVX/AVX2: 8, SSE: 4;
float64 half as many), 2 FLOPs a lane for a fused multiply-add (``fma``) or a
multiply beside an add, and 2 such vector units a core (as on Intel's
Skylake-SP Gold/Platinum and later, and AMD's Zen 5; Zen 4 and some Xeon Silver
have half the 512-bit width: the measured large matrix product shows which).
A virtual machine reports its nominal clock, and cores that boost run above
it: where the best large matrix product measured beats the derived peak, the
peak's clock is raised to the one that rate implies (:meth:`Peak.at_least`),
so that no share exceeds 100%: a share is then of the fastest these cores
were seen to go, and of at least the derived peak.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
SETTINGS = ("unset", "inherited")
# vector FMA (or multiply + add) units per core assumed by the derived peak
VECTOR_UNITS = 2


def blas_environment(environ: Mapping[str, str], setting: str) -> dict[str, str]:
    """The environment of the benchmark's own process: ``environ`` without the OpenBLAS variables, or as is.

    ``"unset"`` is a user's machine, where nobody set them; ``"inherited"``
    keeps this machine's.
    """
    if setting not in SETTINGS:
        raise ValueError(f"blas_environment: setting must be one of {SETTINGS}, got {setting!r}")
    env = dict(environ)
    if setting == "unset":
        for name in BLAS_VARIABLES:
            env.pop(name, None)
    return env


def describe_setting(environ: Mapping[str, str], setting: str) -> str:
    """One line: which OpenBLAS variables the benchmark's process has, and what this machine had."""
    had = [f"{n}={environ[n]}" for n in BLAS_VARIABLES if n in environ]
    machine = ", ".join(had) if had else "none set"
    if setting == "unset":
        return (f"OpenBLAS settings: {' and '.join(BLAS_VARIABLES)} unset, as on a user's machine "
                f"(this shell: {machine})")
    return f"OpenBLAS settings: this shell's ({machine})"


@dataclass(frozen=True)
class Peak:
    cores: int
    nominal_mhz: float  # /proc/cpuinfo's "cpu MHz"
    vector: str  # the widest SIMD extension found
    fma: bool
    flops_per_cycle: dict[str, int]  # per core, by dtype name
    mhz: float = 0.0  # the clock of the peak: the nominal one, or what a measured rate implies if that is higher

    def __post_init__(self):
        if not self.mhz:
            object.__setattr__(self, "mhz", self.nominal_mhz)

    @property
    def flops(self) -> dict[str, float]:
        """FLOP/s of all the cores, by dtype name."""
        return {dtype: self.cores * self.mhz * 1e6 * n for dtype, n in self.flops_per_cycle.items()}

    def implied_mhz(self, dtype: str, rate: float) -> float:
        """The clock at which ``rate`` FLOP/s of ``dtype`` would be this peak."""
        return rate / (self.cores * self.flops_per_cycle[dtype] * 1e6)

    def at_least(self, rates: dict[str, float], mhz: float = 0.0) -> Peak:
        """This peak with its clock raised to what measured ``rates`` (FLOP/s by dtype) imply, and to ``mhz``.

        No code beats the peak, so a faster measured rate means that the cores
        run above the clock /proc/cpuinfo reports (a virtual machine sees the
        nominal one; the cores boost).
        """
        clock = max([self.mhz, mhz, *(self.implied_mhz(d, r) for d, r in rates.items())])
        return replace(self, mhz=clock)

    def describe(self) -> str:
        f32, f64 = self.flops["float32"], self.flops["float64"]
        unit = "FMA" if self.fma else "multiply + add"
        clock = (f"{self.mhz:.0f} MHz" if self.mhz <= self.nominal_mhz else
                 f"{self.mhz:.0f} MHz (the clock the best large matrix product implies; /proc/cpuinfo says "
                 f"{self.nominal_mhz:.0f})")
        return (f"peak: {self.cores} cores x {clock} x {self.flops_per_cycle['float32']} float32 "
                f"({self.flops_per_cycle['float64']} float64) FLOPs a cycle ({self.vector}, {VECTOR_UNITS} {unit} "
                f"units a core) = {f32 / 1e9:.0f} GFLOP/s float32, {f64 / 1e9:.0f} float64")


def peak_flops(cpuinfo: str, cores: int) -> Peak:
    """The derived peak (see the module's notes) from the text of /proc/cpuinfo, for ``cores`` cores."""
    if not (isinstance(cores, int) and cores >= 1):
        raise ValueError(f"peak_flops: cores must be a positive int, got {cores!r}")
    mhz, flags = None, None
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "cpu MHz" and mhz is None:
            mhz = float(value)
        elif key == "flags" and flags is None:
            flags = set(value.split())
    if mhz is None or flags is None:
        raise ValueError("peak_flops: /proc/cpuinfo gives no 'cpu MHz' or no 'flags' line")
    if "avx512f" in flags:
        vector, lanes = "AVX-512", 16
    elif "avx2" in flags or "avx" in flags:
        vector, lanes = ("AVX2" if "avx2" in flags else "AVX"), 8
    elif "sse2" in flags or "sse" in flags:
        vector, lanes = "SSE", 4
    else:
        vector, lanes = "scalar", 1
    fma = "fma" in flags or "avx512f" in flags  # AVX-512F has its own FMA instructions
    per_cycle = {"float32": lanes * 2 * VECTOR_UNITS, "float64": max(1, lanes // 2) * 2 * VECTOR_UNITS}
    return Peak(cores, mhz, vector, fma, per_cycle)


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def machine_peak() -> Peak | None:
    """This machine's derived peak, or None where there is no /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            return peak_flops(f.read(), cores())
    except (OSError, ValueError):
        return None


def thread_pools() -> list[dict]:
    """The BLAS and OpenMP libraries loaded in this process (threadpoolctl), the fields that say which kernel ran."""
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "corename", "num_threads",
            "threading_layer", "filepath")
    return [{k: info[k] for k in keep if k in info} for info in threadpool_info()]


def describe_pools(pools: list[dict]) -> list[str]:
    """One line per library: ``numpy's BLAS: openblas 0.3.31, kernel SkylakeX, 2 threads (libscipy_openblas...)``."""
    lines = []
    for p in pools:
        kernel = p.get("architecture") or p.get("corename")
        parts = [f"{p.get('internal_api', '?')} {p.get('version') or ''}".strip()]
        if kernel:
            parts.append(f"kernel {kernel}")
        parts.append(f"{p.get('num_threads', '?')} threads")
        label = "BLAS" if p.get("user_api") == "blas" else p.get("user_api", "?")
        lines.append(f"{label}: {', '.join(parts)} ({os.path.basename(p.get('filepath', '?'))})")
    return lines


def torch_description() -> str:
    """torch's version, the CPU capability its kernels were chosen for, its threads, and whether oneDNN is on."""
    import torch

    return (f"torch {torch.__version__}: CPU capability {torch.backends.cpu.get_cpu_capability()}, "
            f"{torch.get_num_threads()} threads, oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")
