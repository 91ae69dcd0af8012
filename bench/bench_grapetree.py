"""Benchmark of GrapeTree's MSTreeV2 as the engine computes it (``engine.algorithms.mstree_v2``).

Every measured run is its own process (``python bench/bench_grapetree.py --child PROFILES``) that
reads the profile table, then runs ``mstree_v2`` on it; the parent reports the reading time, the
run time (reading excluded), their sum (reading included) and the peak resident memory of exactly
that process (``ru_maxrss`` from :func:`os.wait4`, so it includes reading), plus the process's
own peak right after reading. One child on two small tables first compiles (or loads) every
numba kernel, so the measured runs pay no compilation.

In the same run it times the floor: a plain numba all-pairs Hamming kernel on the same profiles
(``bench_engine.time_floor``: every pair compared once, the work any exact method repeats), and
prints the run time over the floor time.

Cases: ``../shared/data/phylodb/profiles_15000.txt`` (skipped when the shared folder is absent), a
synthetic 5,000 x 3,000 cgMLST table with 2% missing cells (:mod:`synthetic`), and, last, a
20,000 x 3,000 one that only has to finish within the machine's 24 GB. GrapeTree's own figures
come from ``../shared/reference/README.md``.

Usage::

    python bench/bench_grapetree.py [--cases NAME[,NAME]] [--repeat N] [--list]

Exit status: 0 when every run finished (a missed target is a result, not an error), 1 when a
child failed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import synthetic
from bench_engine import GB, MB, SHARED_DATA, Floor, machine_facts, time_floor

from engine.algorithms.mstree_v2 import mstree_v2
from engine.io.datasets import open_dataset

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    """One table to run MSTreeV2 on, with the goals it is judged against."""

    name: str
    label: str
    shared_path: str | None = None
    rows: int = 0  # synthetic cgMLST size when shared_path is None
    loci: int = 3000
    wall: float | None = None  # goal for the run time, reading included (s)
    rss: float | None = None  # goal for the peak memory (bytes)
    grapetree: str = ""
    big: bool = False


CASES = (
    Case("p15000", "phylodb profiles_15000", shared_path="phylodb/profiles_15000.txt", wall=10.0,
         rss=2 * GB, grapetree="GrapeTree MSTreeV2 181 s, 14.2 GB"),
    Case("cgmlst-5000", "synthetic cgMLST 2% missing", rows=5000, wall=10.0,
         grapetree="GrapeTree MSTreeV2 72 s, 4.7 GB"),
    Case("cgmlst-20000", "synthetic cgMLST 2% missing", rows=20000, rss=24 * GB, big=True,
         grapetree="GrapeTree would need a 20,000^2 float32 matrix and its copies"),
)


# --------------------------------------------------------------------------------------------
# The child: read, then run


def child(path: str) -> None:
    """Read ``path``, run MSTreeV2, print the figures as one JSON line."""
    start = time.perf_counter()
    dataset = open_dataset(path)
    read = time.perf_counter() - start
    after_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    result = mstree_v2(dataset)
    run = time.perf_counter() - start
    print(json.dumps({"read": read, "run": run, "after_read": after_read, "edges": len(result.parents),
                      "rows": dataset.profiles.size, "loci": len(dataset.profiles.loci)}))


# --------------------------------------------------------------------------------------------
# The parent

#: Starts one child and reports its wall time, rusage and standard output. It is a small process
#: of its own because a child's ``ru_maxrss`` starts at its parent's peak (Linux copies the
#: high-water mark at fork), and the benchmark itself holds data.
_LAUNCHER = r"""
import json, os, subprocess, sys, time
command, cwd, out_path, err_path = json.loads(sys.argv[1])
with open(out_path, "wb") as out, open(err_path, "wb") as err:
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
print(json.dumps([seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""


@dataclass
class Run:
    """One child: process wall time, peak RSS, exit status and what it printed."""

    seconds: float
    peak_bytes: int
    status: int
    figures: dict = field(default_factory=dict)
    error: str = ""


def run_child(path: Path, folder: Path) -> Run:
    """Run one child on ``path`` and collect its figures."""
    out_path, err_path = folder / "child.out", folder / "child.err"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(path)]
    request = json.dumps([command, str(ROOT), str(out_path), str(err_path)])
    # the child imports this project's engine, whatever the environment's installed copy is
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in paths if path))
    launched = subprocess.run([sys.executable, "-c", _LAUNCHER, request], capture_output=True, text=True,
                              check=False, env=env)
    if launched.returncode != 0:
        raise RuntimeError(f"the launcher failed: {launched.stderr.strip()}")
    seconds, maxrss_kib, status = json.loads(launched.stdout)
    run = Run(seconds, int(maxrss_kib) * 1024, int(status))
    if status == 0:
        run.figures = json.loads(out_path.read_text().strip().splitlines()[-1])
    else:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-3:]
        run.error = f"exit status {status}: " + " | ".join(tail)
    return run


@dataclass
class Result:
    """The measured runs of one case."""

    case: Case
    shape: str = ""
    runs: list[Run] = field(default_factory=list)
    floor: Floor | None = None
    error: str = ""
    skipped: str = ""

    def median(self, key: str) -> float:
        return statistics.median(run.figures[key] for run in self.runs)

    @property
    def peak(self) -> int:
        return max(run.peak_bytes for run in self.runs)

    def verdicts(self) -> list[str]:
        """PASS/MISS per goal of the case."""
        out = []
        if self.case.wall is not None:
            total = self.median("read") + self.median("run")
            out.append(f"<{self.case.wall:g} s incl. reading {'PASS' if total < self.case.wall else 'MISS'}")
        if self.case.rss is not None:
            out.append(f"<{self.case.rss / GB:g} GB {'PASS' if self.peak < self.case.rss else 'MISS'}")
        return out


def prepare(case: Case, folder: Path) -> tuple[Path | None, str]:
    """The case's profile file (generated when synthetic), or None and why."""
    if case.shared_path is not None:
        path = SHARED_DATA / case.shared_path
        return (path, "") if path.is_file() else (None, f"../shared/data/{case.shared_path} not found")
    start = time.perf_counter()
    path = synthetic.cgmlst_file(folder / f"cgmlst_{case.rows}x{case.loci}.tsv", n=case.rows, loci=case.loci,
                                 missing=0.02)
    print(f"... generated {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return path, ""


def warm_up(folder: Path) -> None:
    """Compile (or load from numba's cache) every kernel: one child on a small cgMLST table (missing
    data) and one on a small MLST table (none)."""
    for path in (synthetic.cgmlst_file(folder / "warm_cgmlst.tsv", n=300, loci=200, missing=0.02),
                 synthetic.mlst_file(folder / "warm_mlst.tsv", n=500)):
        run = run_child(path, folder)
        if run.status != 0:
            raise RuntimeError(f"warm-up failed: {run.error}")


def print_result(result: Result) -> None:
    case = result.case
    if result.skipped or result.error:
        print(f"{case.name:<13} {result.skipped or 'FAILED ' + result.error}")
        return
    read, run = result.median("read"), result.median("run")
    after_read = max(r.figures["after_read"] for r in result.runs)
    floor = result.floor
    ratio = f"{run / floor.seconds:.1f}x" if floor and floor.seconds > 0 else "-"
    floor_s = floor.seconds if floor else 0.0
    print(f"{case.name:<13} {result.shape:>14} {len(result.runs):>4} {read:>7.2f} {run:>9.2f} "
          f"{read + run:>9.2f} {result.peak / MB:>8.0f} {after_read / MB:>8.0f} {floor_s:>8.3f} {ratio:>7}  "
          f"{', '.join(result.verdicts()) or '-'}; {case.grapetree}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all; see --list)")
    parser.add_argument("--repeat", type=int, help="runs per case (default 3, 1 for the 20,000 table)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = {case.name for case in CASES}
    chosen = [name.strip() for name in args.cases.split(",")] if args.cases else [c.name for c in CASES]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(sorted(names))}")
    args.selected = [case for case in CASES if case.name in chosen]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    if args.list:
        for case in CASES:
            print(f"{case.name:<13} {case.label}; {case.grapetree}")
        return 0
    print("PhyloDash: GrapeTree's MSTreeV2 (engine.algorithms.mstree_v2), one process per run")
    for line in machine_facts():
        print(line)
    print("read s, run s (reading excluded), total s (reading included): medians of the runs; "
          "peak MB = largest max RSS of the runs (os.wait4), after-read MB = the child's peak once read")
    print("floor = numba all-pairs Hamming on the same profiles (each pair once); ratio = run s / floor s")
    print(flush=True)
    results = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="phylodash-grapetree-") as tmp:
        folder = Path(tmp)
        warm_up(folder)
        for case in args.selected:
            result = Result(case)
            results.append(result)
            path, why = prepare(case, folder)
            if path is None:
                result.skipped = why
                continue
            dataset = open_dataset(path)
            result.shape = f"{dataset.profiles.size:,} x {len(dataset.profiles.loci):,}"
            result.floor = time_floor(dataset.profiles.matrix, 1 if case.big else 3)
            del dataset
            print(f"... {case.name}: floor {result.floor.seconds:.3f} s", flush=True)
            for _ in range(args.repeat or (1 if case.big else 3)):
                run = run_child(path, folder)
                if run.status != 0:
                    result.error = run.error
                    failed = True
                    break
                result.runs.append(run)
                print(f"... {case.name}: read {run.figures['read']:.2f} s, run {run.figures['run']:.2f} s, "
                      f"peak {run.peak_bytes / MB:.0f} MB", flush=True)
            if case.shared_path is None:
                path.unlink()
    print()
    print(f"{'case':<13} {'rows x loci':>14} {'runs':>4} {'read s':>7} {'run s':>9} {'total s':>9} "
          f"{'peak MB':>8} {'read MB':>8} {'floor s':>8} {'ratio':>7}  targets; GrapeTree")
    for result in results:
        print_result(result)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
