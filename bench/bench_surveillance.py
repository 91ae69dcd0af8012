"""Benchmark of the surveillance algorithms: extending a goeBURST tree with new profiles, and partitions.

Cases (in-process, data already in memory, numba kernels compiled before any timing):

- ``mlst-extend``: a 100,000-profile synthetic MLST set (:func:`synthetic.clonal_mlst`) and 100
  more profiles after it. The parent's ``goeburst-full`` result and state are computed first
  (untimed setup); then, side by side, a full ``goeburst-full`` run of the new version and
  :func:`engine.algorithms.incremental.extend_goeburst` from the parent. Target: the extension
  under 10% of the full run's time. The two results are compared array for array.
- ``cgmlst-extend``: the same with a 5,000 x 3,000 synthetic cgMLST set, 2% missing
  (:func:`synthetic.clonal_cgmlst`), and 50 more profiles.
- ``partition``: :func:`engine.algorithms.partitions.partition` at thresholds 0..100 of the
  ``goeburst-full`` tree of ``../shared/data/phylodb/profiles_15000.txt`` (14,979 profiles). Target:
  under 1 s (median of 5 after one untimed call).

Usage::

    python bench/bench_surveillance.py [--quick] [--cases NAME[,NAME]] [--repeat N]

``--quick`` uses 20,000 + 20 MLST and 1,000 + 10 x 3,000 cgMLST profiles (targets not judged).
Exit status 0 when every case ran (a missed target is a result, not an error), 1 when a result
differed from the full run's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import synthetic

# The project first on the path, as the other bench scripts do.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_engine import SHARED_DATA, machine_facts

from engine.algorithms.goeburst import goeburst_full
from engine.algorithms.incremental import extend_goeburst, goeburst_with_state
from engine.algorithms.partitions import partition
from engine.io.datasets import open_dataset
from engine.models import Dataset, Inference, Profiles, ReadReport

TARGET_RATIO = 0.10
TARGET_PARTITION_SECONDS = 1.0


def matrix_dataset(matrix: np.ndarray) -> Dataset:
    """A dataset straight from allele codes (ids 1..n, 0 missing), as the reader would make it."""
    n, loci = matrix.shape
    top = int(matrix.max(initial=0))
    names = [""] + [str(code) for code in range(1, top + 1)]
    profiles = Profiles(ids=[str(i + 1) for i in range(n)], loci=[f"locus{k + 1}" for k in range(loci)],
                        matrix=np.ascontiguousarray(matrix, dtype=np.uint16), alleles=[names] * loci,
                        missing_values=("-",))
    report = ReadReport(profiles=n, loci=loci, missing_cells=int((matrix == 0).sum()), missing_values=("-",))
    return Dataset(profiles, None, np.ones(n, np.int64), report)


def same(a: Inference, b: Inference) -> bool:
    """Whether two inferences are identical array for array."""
    names = ("parents", "children", "distances", "rules", "roots", "counts")
    return a.ids == b.ids and all(np.array_equal(getattr(a, name), getattr(b, name)) for name in names)


def timed(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median seconds of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel the cases use, on a tiny table."""
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, 3, size=(30, 6)).astype(np.uint16)
    old, new = matrix_dataset(matrix[:25]), matrix_dataset(matrix)
    for algorithm in ("goeburst-full", "goeburst"):
        inference, state = goeburst_with_state(old, algorithm=algorithm)
        extend_goeburst(old, inference, state, new, algorithm=algorithm, work_limit=None)
    partition(goeburst_full(new), range(5))


@dataclass
class Extension:
    """One extension case's figures."""

    name: str
    shape: str
    parent_seconds: float
    full_seconds: float
    extend_seconds: float
    computed: str
    reason: str
    stats: dict
    equal: bool

    @property
    def ratio(self) -> float:
        return self.extend_seconds / self.full_seconds


def extension_case(name: str, matrix: np.ndarray, old_rows: int, repeat: int) -> Extension:
    """Parent result (setup), then a full run of the new version and the extension, side by side."""
    old, new = matrix_dataset(matrix[:old_rows]), matrix_dataset(matrix)
    start = time.perf_counter()
    inference, state = goeburst_with_state(old, algorithm="goeburst-full")
    parent_seconds = time.perf_counter() - start
    print(f"... {name}: parent result in {parent_seconds:.1f} s", flush=True)
    full_seconds, full = timed(lambda: goeburst_full(new), repeat)
    print(f"... {name}: full run of the new version in {full_seconds:.1f} s", flush=True)
    extend_seconds, extension = timed(
        lambda: extend_goeburst(old, inference, state, new, algorithm="goeburst-full"), repeat)
    shape = f"{old_rows:,} + {matrix.shape[0] - old_rows} x {matrix.shape[1]:,}"
    return Extension(name, shape, parent_seconds, full_seconds, extend_seconds, extension.computed,
                     extension.reason, extension.stats, same(extension.inference, full))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller tables (targets not judged)")
    parser.add_argument("--cases", default="mlst-extend,cgmlst-extend,partition",
                        help="comma-separated: mlst-extend, cgmlst-extend, partition")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each extension case (median)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cases = {name.strip() for name in args.cases.split(",") if name.strip()}
    print("PhyloDash surveillance benchmark: extending goeBURST trees, partitions")
    for line in machine_facts():
        print(line)
    print("extend = extend_goeburst from the parent's result and state; full = goeburst_full of the new")
    print("version; both in this process on data in memory, kernels compiled first; ratio = extend / full")
    print(flush=True)
    warm_up()
    results: list[Extension] = []
    if "mlst-extend" in cases:
        n, added = (20_000, 20) if args.quick else (100_000, 100)
        start = time.perf_counter()
        matrix = synthetic.clonal_mlst(n + added)
        print(f"... generated {n + added:,} x 7 MLST in {time.perf_counter() - start:.1f} s", flush=True)
        results.append(extension_case("mlst-extend", matrix, n, args.repeat))
    if "cgmlst-extend" in cases:
        n, added = (1_000, 10) if args.quick else (5_000, 50)
        start = time.perf_counter()
        matrix = synthetic.clonal_cgmlst(n + added, 3000, 0.02)
        seconds = time.perf_counter() - start
        print(f"... generated {n + added:,} x 3,000 cgMLST in {seconds:.1f} s", flush=True)
        results.append(extension_case("cgmlst-extend", matrix, n, args.repeat))
    partition_line = None
    if "partition" in cases:
        path = SHARED_DATA / "phylodb" / "profiles_15000.txt"
        if path.is_file():
            tree = goeburst_full(open_dataset(path))
            partition(tree, range(101))
            seconds, result = timed(lambda: partition(tree, range(101)), 5)
            partition_line = (len(tree.ids), result.labels.shape[1], seconds)
        else:
            print(f"partition: skipped, {path} not found")
    print()
    header = (f"{'case':<14} {'profiles':>22} {'parent s':>9} {'full s':>8} {'extend s':>9} {'ratio':>7} "
              f"{'computed':<12} {'equal':<6} details")
    print(header)
    for r in results:
        details = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.stats.items()
                            if k != "seconds")
        if r.reason:
            details = f"reason: {r.reason}; " + details
        print(f"{r.name:<14} {r.shape:>22} {r.parent_seconds:>9.2f} {r.full_seconds:>8.2f} "
              f"{r.extend_seconds:>9.3f} {r.ratio:>7.1%} {r.computed:<12} {r.equal!s:<6} {details}")
    if partition_line is not None:
        nodes, columns, seconds = partition_line
        print(f"{'partition':<14} {nodes:>22,} thresholds 0..{columns - 1}: {seconds * 1000:.1f} ms "
              "(median of 5)")
    print()
    judged = "n/a (--quick)" if args.quick else None
    for r in results:
        verdict = judged or ("PASS" if r.ratio < TARGET_RATIO and r.equal else "MISS")
        print(f"{verdict:<5} {r.name}: extension {r.ratio:.1%} of the full run's time vs target < "
              f"{TARGET_RATIO:.0%}; result identical to the full run: {r.equal}")
    if partition_line is not None:
        verdict = "PASS" if partition_line[2] < TARGET_PARTITION_SECONDS else "MISS"
        print(f"{verdict:<5} partition: {partition_line[2]:.3f} s for thresholds 0..100 of the "
              f"14,979-profile tree vs target < {TARGET_PARTITION_SECONDS:.0f} s")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(r.equal for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
