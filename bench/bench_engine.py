"""Benchmark of ``python -m engine infer`` against the issue's targets and an all-pairs floor.

For every case this runs the whole command line process
``python -m engine infer PROFILES --algorithm A [--lvs N] --format edges -o TMP -q`` once to warm
numba's on-disk cache, then ``repeat`` more times, and reports the median wall time and the peak
resident memory (``ru_maxrss`` of exactly that child, from :func:`os.wait4`). In the same run it
times a plain numba all-pairs Hamming kernel on the same profiles (the floor any exact method
pays: every pair compared once) and prints infer time / floor time.

Shared datasets are looked up in ``../shared/data`` next to the project; when that folder is
missing their cases are skipped. Synthetic datasets (:mod:`synthetic`) are generated into a
temporary folder that is removed at the end.

Usage::

    python bench/bench_engine.py [--quick] [--cases NAME[,NAME]] [--repeat N] [--list]

Cases marked ``check_exact`` (``cgmlst20k-full``) also run the inference in this process twice,
without and with a distance matrix (:func:`check_exact`), and compare the two results: the path
that runs on large data against the all-pairs method.

Exit status: 0 when every run finished (a missed target is a result, not an error), 1 when an
``infer`` process failed or a checked result differed from the all-pairs one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
import synthetic

import engine.algorithms.goeburst as goeburst_module
from engine.algorithms import registry
from engine.io.datasets import open_dataset
from engine.models import Dataset

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
#: Above this size the floor counts a histogram of distances instead of storing them.
FLOOR_MATRIX_LIMIT_BYTES = 2 * 10**9
MB = 10**6
GB = 10**9


# --------------------------------------------------------------------------------------------
# The floor: all pairwise Hamming distances, each pair once


@numba.njit(cache=True, inline="always")
def pair_distance(matrix: np.ndarray, i: int, j: int) -> int:
    """Loci where rows i and j differ or either is missing (code 0): PhyloDash's default mode."""
    d = 0
    for k in range(matrix.shape[1]):
        a = matrix[i, k]
        b = matrix[j, k]
        d += (a != b) | (a == 0) | (b == 0)
    return d


@numba.njit(parallel=True, cache=True)
def hamming_condensed(matrix: np.ndarray) -> np.ndarray:
    """All pairwise distances of the rows of ``matrix``, condensed (pair i < j once), ``uint16``.

    A locus differs when the alleles differ or either is missing (code 0), the engine's default
    ``difference`` mode. Task p handles rows p and n-1-p so that every task does n-1 pairs.
    """
    n = matrix.shape[0]
    out = np.empty(n * (n - 1) // 2, np.uint16)
    for p in numba.prange((n + 1) // 2):
        first = np.int64(p)  # the prange index may be unsigned; keep the row arithmetic signed
        for side in range(2):
            i = first if side == 0 else n - 1 - first
            if side == 1 and i == first:
                break
            base = i * (2 * n - i - 1) // 2 - i - 1
            for j in range(i + 1, n):
                out[base + j] = pair_distance(matrix, i, j)
    return out


@numba.njit(parallel=True, cache=True)
def hamming_histogram(matrix: np.ndarray, threads: int) -> np.ndarray:
    """Histogram of all pairwise distances (index = distance), the pairs as in :func:`hamming_condensed`.

    ``threads`` is ``numba.get_num_threads()``, passed in because calling it inside would keep
    numba from caching the kernel.
    """
    n, loci = matrix.shape
    width = loci + 1 + 16  # padding keeps the threads' rows off each other's cache lines
    local = np.zeros((threads, width), np.int64)
    for p in numba.prange((n + 1) // 2):
        tid = numba.get_thread_id()
        first = np.int64(p)  # the prange index may be unsigned; keep the row arithmetic signed
        for side in range(2):
            i = first if side == 0 else n - 1 - first
            if side == 1 and i == first:
                break
            for j in range(i + 1, n):
                local[tid, pair_distance(matrix, i, j)] += 1
    return local.sum(axis=0)[: loci + 1]


@dataclass(frozen=True)
class Floor:
    """Median time of the floor kernel (second and later calls) and which kernel ran."""

    seconds: float
    kind: str  # "matrix" (condensed uint16 stored) or "histogram"
    pairs: int


def time_floor(matrix: np.ndarray, repeat: int) -> Floor:
    """Time the all-pairs kernel on ``matrix``: one untimed call, then the median of ``repeat`` calls."""
    matrix = np.ascontiguousarray(matrix)  # the reader's uint16 (uint32 past 65,534 alleles)
    n = matrix.shape[0]
    pairs = n * (n - 1) // 2
    store = pairs * 2 <= FLOOR_MATRIX_LIMIT_BYTES
    threads = numba.get_num_threads()

    def kernel(values: np.ndarray) -> np.ndarray:
        return hamming_condensed(values) if store else hamming_histogram(values, threads)

    result = kernel(matrix)
    if not store and int(result.sum()) != pairs:
        raise AssertionError("floor histogram does not count every pair once")
    del result
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = kernel(matrix)
        times.append(time.perf_counter() - start)
        del result
    return Floor(statistics.median(times), "matrix" if store else "histogram", pairs)


# --------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Target:
    """A goal of the issue: ``metric`` (wall s, peak bytes, or infer/floor ratio) below ``limit``."""

    metric: str  # "wall", "rss" or "ratio"
    limit: float
    reference: str

    def text(self) -> str:
        """The goal in a few characters, e.g. ``<2 s``."""
        if self.metric == "wall":
            return f"<{self.limit:g} s"
        if self.metric == "rss":
            return f"<{self.limit / GB:g} GB"
        return f"<={self.limit:g}x floor"


@dataclass(frozen=True)
class DataSpec:
    """A dataset: a file under ``../shared/data`` or a synthetic table made on demand."""

    key: str
    label: str
    shared_path: str | None = None
    make: Callable[[Path, bool], Path] | None = None
    quick_differs: bool = False  # --quick makes a smaller table (targets then do not apply)


@dataclass(frozen=True)
class Case:
    """One ``infer`` run to measure."""

    name: str
    data: str
    algorithm: str
    lvs: int | None = None
    big: bool = False
    targets: tuple[Target, ...] = ()
    check_exact: bool = False  # compare the on-the-fly path with the all-pairs (matrix) path

    def algorithm_text(self) -> str:
        """Algorithm and parameters as printed in the table."""
        return self.algorithm + (f" lvs {self.lvs}" if self.lvs is not None else "")


def _make_cgmlst(folder: Path, quick: bool) -> Path:
    n = 1000 if quick else 5000
    return synthetic.cgmlst_file(folder / f"cgmlst_{n}x3000.tsv", n=n, loci=3000, missing=0.02)


def _cgmlst_maker(n: int) -> Callable[[Path, bool], Path]:
    """A maker of ``n`` x 3,002 synthetic cgMLST with 2% missing calls (a tenth of n with --quick)."""
    def make(folder: Path, quick: bool) -> Path:
        size = n // 10 if quick else n
        return synthetic.cgmlst_file(folder / f"cgmlst_{size}x3002.tsv", n=size, loci=3002, missing=0.02)
    return make


def _make_mlst(folder: Path, quick: bool) -> Path:
    n = 20_000 if quick else 100_000
    return synthetic.mlst_file(folder / f"mlst_{n}x7.tsv", n=n)


DATASETS = {
    spec.key: spec
    for spec in (
        DataSpec("profiles_15000", "profiles_15000", shared_path="phylodb/profiles_15000.txt"),
        DataSpec("typing_6000", "typing_6000", shared_path="campylobacter/typing_6000.txt"),
        DataSpec("agona", "agona", shared_path="agona/profiles.tsv"),
        DataSpec("cgmlst", "synthetic cgMLST", make=_make_cgmlst, quick_differs=True),
        DataSpec("mlst", "synthetic MLST", make=_make_mlst, quick_differs=True),
        *(DataSpec(f"cgmlst{n // 1000}k", f"cgMLST {n // 1000}k", make=_cgmlst_maker(n),
                   quick_differs=True) for n in (20_000, 50_000, 100_000)),
    )
}

_NO_TOOL = "no established tool reaches 100,000 profiles in 24 GB"
_BIG_MLST = (Target("wall", 120.0, _NO_TOOL), Target("rss", 2 * GB, _NO_TOOL))

CASES = (
    Case("p15000-lvs3", "profiles_15000", "goeburst", 3, targets=(
        Target("wall", 2.0, "PhyloDB 9.2 s"), Target("rss", 2 * GB, "PhyloDB 2.5 GB"))),
    Case("p15000-full", "profiles_15000", "goeburst-full", targets=(
        Target("wall", 3.0, "PHYLOViZ 2 28.8 s"),)),
    Case("p15000-lvs7", "profiles_15000", "goeburst", 7),
    Case("typing6000-lvs3", "typing_6000", "goeburst", 3),
    Case("typing6000-full", "typing_6000", "goeburst-full"),
    Case("agona-full", "agona", "goeburst-full"),
    Case("cgmlst-full", "cgmlst", "goeburst-full", targets=(
        Target("wall", 6.0, "GrapeTree MSTreeV2 72 s, PhyloDB 180 s"),
        Target("ratio", 2.0, "all-pairs distance time"))),
    Case("mlst-lvs3", "mlst", "goeburst", 3, big=True, targets=_BIG_MLST),
    Case("mlst-full", "mlst", "goeburst-full", big=True, targets=(
        Target("wall", 30.0, "issue 13: 53-62 s before, all-pairs floor about 13 s"),
        Target("rss", 2 * GB, _NO_TOOL))),
    Case("cgmlst20k-full", "cgmlst20k", "goeburst-full", big=True, check_exact=True),
    Case("cgmlst50k-full", "cgmlst50k", "goeburst-full", big=True, targets=(
        Target("wall", 300.0, "issue 13; all-pairs about 190 s"), Target("rss", 4 * GB, "issue 13"))),
    Case("cgmlst100k-full", "cgmlst100k", "goeburst-full", big=True, targets=(
        Target("wall", 1200.0, "issue 13; all-pairs about 750 s"), Target("rss", 6 * GB, "issue 13"))),
)


# --------------------------------------------------------------------------------------------
# Measuring a process


@dataclass(frozen=True)
class Run:
    """One finished child process: wall seconds, peak RSS in bytes, exit status, standard error."""

    seconds: float
    peak_bytes: int
    status: int
    stderr: str


#: Runs one command and reports its wall time and rusage. It runs as its own small process because
#: a child's ``ru_maxrss`` starts at its parent's peak RSS (Linux copies the high-water mark at fork
#: and keeps it across exec), and the benchmark itself holds the floor's distance array.
_LAUNCHER = r"""
import json, os, subprocess, sys, time
command, cwd, stderr_path = json.loads(sys.argv[1])
with open(stderr_path, "wb") as err:
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps([seconds, usage.ru_maxrss, child.returncode]))
"""


def run_process(command: Sequence[str], stderr_path: Path) -> Run:
    """Run ``command`` from the project root; wall time and peak RSS of exactly that child.

    A small launcher process starts the command, waits for it with :func:`os.wait4` and reports
    the child's own ``ru_maxrss`` (KiB on Linux) and the time from spawn to exit.
    """
    request = json.dumps([list(command), str(ROOT), str(stderr_path)])
    launched = subprocess.run([sys.executable, "-c", _LAUNCHER, request], capture_output=True, text=True,
                              check=False)
    if launched.returncode != 0:
        raise RuntimeError(f"the launcher failed: {launched.stderr.strip()}")
    seconds, maxrss_kib, status = json.loads(launched.stdout)
    return Run(seconds, int(maxrss_kib) * 1024, int(status),
               stderr_path.read_text(encoding="utf-8", errors="replace"))


@dataclass
class Result:
    """What the table prints for one case."""

    case: Case
    data_label: str
    shape: str
    floor: Floor | None = None
    first: Run | None = None
    runs: list[Run] = field(default_factory=list)
    edges: int = 0
    error: str = ""
    skipped: str = ""
    quick_size: bool = False
    algo_seconds: float | None = None

    @property
    def seconds(self) -> float:
        """Median wall time of the measured runs."""
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_bytes(self) -> int:
        """Largest peak RSS of the measured runs."""
        return max(run.peak_bytes for run in self.runs)

    @property
    def ratio(self) -> float | None:
        """Whole-process time over floor time."""
        if self.floor is None or not self.runs or self.floor.seconds <= 0:
            return None
        return self.seconds / self.floor.seconds

    @property
    def algo_ratio(self) -> float | None:
        """In-process inference time (data already read) over floor time."""
        if self.floor is None or self.algo_seconds is None or self.floor.seconds <= 0:
            return None
        return self.algo_seconds / self.floor.seconds

    def value(self, metric: str) -> float | None:
        """The measured value a target of ``metric`` is checked against."""
        if not self.runs:
            return None
        return {"wall": self.seconds, "rss": float(self.peak_bytes), "ratio": self.algo_ratio}[metric]

    def verdict(self, target: Target) -> str:
        """PASS, MISS, SKIP (not run) or n/a (quick size)."""
        if self.skipped or self.error:
            return "SKIP" if self.skipped else "FAIL"
        if self.quick_size:
            return "n/a"
        value = self.value(target.metric)
        if value is None:
            return "SKIP"
        passed = value <= target.limit if target.metric == "ratio" else value < target.limit
        return "PASS" if passed else "MISS"


def measure(case: Case, profiles: Path, out_dir: Path, repeat: int) -> tuple[Run, list[Run], str]:
    """Warm-up run, then ``repeat`` measured runs of ``infer`` on ``profiles``; ``error`` if one failed."""
    output = out_dir / f"{case.name}.edges"
    command = [sys.executable, "-m", "engine", "infer", str(profiles), "--algorithm", case.algorithm,
               "--format", "edges", "-o", str(output), "-q"]
    if case.lvs is not None:
        command += ["--lvs", str(case.lvs)]
    stderr_path = out_dir / f"{case.name}.stderr"
    first = run_process(command, stderr_path)
    if first.status != 0:
        return first, [], _failure(first)
    runs = []
    for _ in range(repeat):
        run = run_process(command, stderr_path)
        if run.status != 0:
            return first, runs, _failure(run)
        runs.append(run)
    return first, runs, ""


def time_in_process(case: Case, dataset: Dataset, repeat: int) -> float:
    """Median time of ``registry.infer`` on an already-read dataset, after one untimed call.

    This is the inference alone (no start-up, reading or writing), the figure to hold against the
    floor kernel, which also runs on data already in memory. Big cases get no untimed call: the
    kernels are already compiled on disk by the process runs, and one run takes long enough.
    """
    parameters = {"lvs": case.lvs} if case.lvs is not None else {}
    if not case.big:
        registry.infer(case.algorithm, dataset, parameters)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        registry.infer(case.algorithm, dataset, parameters)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class ExactCheck:
    """The on-the-fly path's result against the all-pairs (distance matrix) path's, in this process."""

    equal: bool
    fast_seconds: float
    matrix_seconds: float

    def text(self) -> str:
        """One line for the report."""
        verdict = "EQUAL" if self.equal else "DIFFERENT"
        return (f"on-the-fly path {self.fast_seconds:.1f} s vs all-pairs matrix path "
                f"{self.matrix_seconds:.1f} s: results {verdict} (every edge, distance, rule and root)")


def check_exact(case: Case, dataset: Dataset) -> ExactCheck:
    """Run ``case`` on ``dataset`` with and without a distance matrix and compare the inferences.

    The matrix path computes every distance once and is the all-pairs method; the on-the-fly path
    is what runs past ``DISTANCE_MATRIX_LIMIT_BYTES``. The limit is set for each run and restored.
    """
    parameters = {"lvs": case.lvs} if case.lvs is not None else {}
    limit = goeburst_module.DISTANCE_MATRIX_LIMIT_BYTES
    results, seconds = [], []
    try:
        for forced in (0, 1 << 62):
            goeburst_module.DISTANCE_MATRIX_LIMIT_BYTES = forced
            start = time.perf_counter()
            results.append(registry.infer(case.algorithm, dataset, parameters))
            seconds.append(time.perf_counter() - start)
    finally:
        goeburst_module.DISTANCE_MATRIX_LIMIT_BYTES = limit
    fast, matrix = results
    names = ("parents", "children", "distances", "rules", "roots")
    equal = all(np.array_equal(getattr(fast, name), getattr(matrix, name)) for name in names)
    return ExactCheck(equal, seconds[0], seconds[1])


def _failure(run: Run) -> str:
    tail = run.stderr.strip().splitlines()[-3:]
    return f"exit status {run.status}: " + " | ".join(tail)


# --------------------------------------------------------------------------------------------
# Printing

COLUMNS = (
    ("case", 16, "<"), ("data", 17, "<"), ("n x loci", 13, ">"), ("algorithm", 16, "<"),
    ("runs", 4, ">"), ("1st s", 7, ">"), ("wall s", 7, ">"), ("peak MB", 8, ">"), ("edges", 7, ">"),
    ("floor s", 8, ">"), ("floor", 9, "<"), ("ratio", 6, ">"), ("algo s", 7, ">"), ("a.ratio", 7, ">"),
    ("targets", 0, "<"),
)


def table_line(cells: Sequence[str]) -> str:
    """One fixed-width row of the table."""
    parts = [f"{cell:{align}{width}}" if width else cell for cell, (_, width, align) in zip(cells, COLUMNS,
                                                                                            strict=True)]
    return "  ".join(parts).rstrip()


def result_line(result: Result) -> str:
    """The table row of a result."""
    case = result.case
    if result.skipped:
        return table_line([case.name, result.data_label, result.shape, case.algorithm_text(), "", "", "", "",
                           "", "", "", "", "", "", f"skipped: {result.skipped}"])
    floor = result.floor
    targets = ", ".join(f"{t.text()} {result.verdict(t)}" for t in case.targets) or "-"
    if result.error:
        targets = f"FAILED {result.error}"
    runs = result.runs
    ratio = result.ratio
    algo_ratio = result.algo_ratio
    return table_line([
        case.name,
        result.data_label,
        result.shape,
        case.algorithm_text(),
        str(len(runs)),
        f"{result.first.seconds:.2f}" if result.first else "",
        f"{result.seconds:.2f}" if runs else "",
        f"{result.peak_bytes / MB:.0f}" if runs else "",
        str(result.edges) if runs else "",
        f"{floor.seconds:.4f}" if floor else "",
        floor.kind if floor else "",
        f"{ratio:.1f}" if ratio is not None else "",
        f"{result.algo_seconds:.2f}" if result.algo_seconds is not None else "",
        f"{algo_ratio:.2f}" if algo_ratio is not None else "",
        targets,
    ])


def summary_line(result: Result, target: Target) -> str:
    """One line per target: verdict, case, measured value against the goal, the established tool."""
    verdict = result.verdict(target)
    value = result.value(target.metric) if not (result.skipped or result.error) else None
    if value is None:
        measured = result.skipped or result.error or "not measured"
    elif target.metric == "wall":
        measured = f"wall {value:.2f} s"
    elif target.metric == "rss":
        measured = f"peak {value / GB:.2f} GB"
    else:
        measured = f"inference {value:.2f}x the all-pairs time"
    detail = ""
    if verdict == "MISS" and value is not None:
        detail = f" ({(value / target.limit - 1) * 100:.0f}% over)"
    if verdict == "n/a":
        detail = " (--quick size, target is for the full size)"
    return f"{verdict:<4}  {result.case.name:<16} {measured} vs {target.text()}{detail}; {target.reference}"


def engine_revision() -> str:
    """The git commit of the project and whether ``engine/`` has uncommitted changes."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cd", "--date=iso"],
                                capture_output=True, text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "engine"],
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"git {commit}" + (", engine/ has uncommitted changes" if dirty else "")


def machine_facts() -> list[str]:
    """CPU, memory, threads and versions, for the top of the report."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) * 1024 / GB:.1f} GB RAM"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    hamming_condensed(np.zeros((4, 2), np.uint16))  # compile (or load) the floor kernel; starts the pool
    return [
        f"engine: {engine_revision()}",
        f"machine: {platform.machine()} {model}, {os.cpu_count()} CPUs ({usable} usable){memory}",
        f"numba threads: {numba.get_num_threads()} (threading layer {numba.threading_layer()}), "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset')}",
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller synthetic tables (20,000 x 7 MLST, 1,000 x 3,000 cgMLST)")
    parser.add_argument("--cases", help="comma-separated case names (default: all; see --list)")
    parser.add_argument("--repeat", type=int,
                        help="measured runs per case after the warm-up (default 1 for big cases, else 3)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.cases:
        names = [name.strip() for name in args.cases.split(",") if name.strip()]
        unknown = [name for name in names if name not in {case.name for case in CASES}]
        if unknown:
            parser.error(f"unknown case(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(case.name for case in CASES)}")
        args.selected = [case for case in CASES if case.name in names]
    else:
        args.selected = list(CASES)
    return args


def prepare_data(spec: DataSpec, folder: Path, quick: bool) -> tuple[Path | None, str]:
    """The profile file of a dataset (generated when synthetic), or None and why it is missing."""
    if spec.shared_path is not None:
        path = SHARED_DATA / spec.shared_path
        if not path.is_file():
            return None, f"../shared/data/{spec.shared_path} not found"
        return path, ""
    assert spec.make is not None
    start = time.perf_counter()
    path = spec.make(folder, quick)
    print(f"... generated {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return path, ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected cases and print the table and the target summary; returns the exit status."""
    args = parse_args(argv)
    if args.list:
        for case in CASES:
            goals = ", ".join(t.text() for t in case.targets) or "informative"
            print(f"{case.name:<16} {DATASETS[case.data].label:<17} {case.algorithm_text():<16} {goals}")
        return 0
    print("PhyloDash engine benchmark: whole `python -m engine infer ... --format edges -o FILE -q`")
    for line in machine_facts():
        print(line)
    print("wall s = median of the measured runs after one warm-up run (1st s); peak MB = largest max RSS "
          "(os.wait4) of those runs")
    print("floor = numba all-pairs Hamming (missing = difference), each pair once, median of calls after "
          "the first; matrix = condensed uint16 stored, histogram = distances counted, not stored")
    print("ratio = wall s / floor s (the process includes start-up, reading and writing)")
    print("algo s = registry.infer on the data already read, in this process (median after one untimed "
          "call); a.ratio = algo s / floor s, the figure the issue's 'x the all-pairs time' target judges")
    if args.quick:
        print("--quick: synthetic tables are smaller; their targets are not judged")
    if not SHARED_DATA.is_dir():
        print("note: ../shared/data not found next to the project: the shared-data cases are skipped")
    print(flush=True)

    results: list[Result] = []
    notes: list[str] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="phylodash-bench-") as tmp:
        folder = Path(tmp)
        files: dict[str, tuple[Path | None, str]] = {}
        floors: dict[str, Floor] = {}
        shapes: dict[str, str] = {}
        datasets: dict[str, Dataset] = {}
        for case in args.selected:
            spec = DATASETS[case.data]
            if case.data not in files:
                files[case.data] = prepare_data(spec, folder, args.quick)
            path, why = files[case.data]
            repeat = args.repeat or (1 if case.big else 3)
            result = Result(case, spec.label, "", quick_size=args.quick and spec.quick_differs)
            results.append(result)
            if path is None:
                result.skipped = why
                print(f"... {case.name}: skipped, {why}", flush=True)
                continue
            if case.data not in floors:
                dataset = open_dataset(path)
                report = dataset.report
                shapes[case.data] = f"{report.profiles:,} x {report.loci:,}"
                missing = report.missing_cells / max(1, report.profiles * report.loci)
                notes.append(f"{spec.label}: {shapes[case.data]}, {report.missing_cells:,} missing cells "
                             f"({missing:.2%}), {len(report.identical_groups)} groups of identical profiles")
                floors[case.data] = time_floor(dataset.profiles.matrix, repeat)
                datasets = {case.data: dataset}  # keep one dataset in memory at a time
                print(f"... {spec.label}: floor {floors[case.data].seconds:.3f} s", flush=True)
            result.shape = shapes[case.data]
            result.floor = floors[case.data]
            result.first, result.runs, result.error = measure(case, path, folder, repeat)
            if not result.error:
                result.algo_seconds = time_in_process(case, datasets[case.data], repeat)
            if not result.error and case.check_exact:
                check = check_exact(case, datasets[case.data])
                failed = failed or not check.equal
                notes.append(f"{case.name}: {check.text()}")
                print(f"... {case.name}: {check.text()}", flush=True)
            failed = failed or bool(result.error)
            if result.runs:
                with open(folder / f"{case.name}.edges", "rb") as handle:
                    result.edges = sum(1 for _ in handle)
                print(f"... {case.name}: first {result.first.seconds:.2f} s, median {result.seconds:.2f} s "
                      f"of {len(result.runs)}", flush=True)
            else:
                print(f"... {case.name}: FAILED {result.error}", flush=True)

    print()
    for note in notes:
        print(note)
    print()
    print(table_line([name for name, _, _ in COLUMNS]))
    print(table_line(["-" * max(width, len(name)) for name, width, _ in COLUMNS]))
    for result in results:
        print(result_line(result))
    print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("Targets (issue):")
    judged = [(result, target) for result in results for target in result.case.targets]
    for result, target in judged:
        print("  " + summary_line(result, target))
    if not judged:
        print("  (no target case selected)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
