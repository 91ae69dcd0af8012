"""Benchmark of GrapeTree-style neighbour joining (:func:`engine.algorithms.nj.nj`).

Each case runs one whole child process (read the profile file, build the NJ tree) and reports its
wall time and peak resident memory (``ru_maxrss`` of exactly that child, as in
``bench_engine.py``), the time of ``nj`` itself inside the child, and, in the same run, the
all-pairs distance floor on the same profiles (every pair compared once, the cost any exact method
pays; ``bench_engine.time_floor``). A child on a small table runs first to fill numba's on-disk
cache, so compile time is not counted.

Cases:

- ``cgmlst-5000``: synthetic 5,000 x 3,000 cgMLST, 2% missing (``synthetic.clonal_cgmlst``);
  target: whole run under 30 s.
- ``p15000``: ``../shared/data/phylodb/profiles_15000.txt`` (14,979 MLST profiles x 7 loci).
- ``cgmlst-20000``: synthetic 20,000 x 3,000 cgMLST, 2% missing; must finish within 24 GB.

Usage::

    python bench/bench_nj.py [--cases NAME[,NAME]] [--quick]

``--quick`` makes the synthetic tables 1,000 and 2,000 rows (targets then do not apply). Exit
status 0 when every run finished, 1 when a child failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numba
import synthetic
from bench_engine import GB, MB, SHARED_DATA, run_process, time_floor

from engine.io.datasets import open_dataset


@dataclass(frozen=True)
class NjCase:
    """A profile table to time: a shared file or a synthetic cgMLST of ``rows`` x 3,000."""

    name: str
    shared_path: str | None = None
    rows: int = 0
    quick_rows: int = 0
    target_seconds: float | None = None
    note: str = ""


CASES = {
    case.name: case
    for case in (
        NjCase("cgmlst-5000", rows=5000, quick_rows=1000, target_seconds=30.0,
               note="target < 30 s"),
        NjCase("p15000", shared_path="phylodb/profiles_15000.txt"),
        NjCase("cgmlst-20000", rows=20000, quick_rows=2000, note="must fit in 24 GB"),
    )
}


def child(path: str, out: str) -> None:
    """Inside the measured process: read the table, build the tree, write timings to ``out``."""
    from engine.algorithms.nj import nj

    start = time.perf_counter()
    dataset = open_dataset(path)
    read = time.perf_counter() - start
    start = time.perf_counter()
    tree = nj(dataset)
    built = time.perf_counter() - start
    Path(out).write_text(json.dumps({"read": read, "nj": built, "leaves": tree.leaves,
                                     "nodes": tree.nodes}))


def measure(path: Path, folder: Path) -> tuple[float, int, dict[str, float], int]:
    """Run the child on ``path``: (wall seconds, peak bytes, child's timings, exit status)."""
    out = folder / "child.json"
    out.unlink(missing_ok=True)
    run = run_process([sys.executable, str(Path(__file__).resolve()), "--child", str(path),
                       "--out", str(out)], folder / "child.err")
    timings = json.loads(out.read_text()) if run.status == 0 and out.exists() else {}
    if run.status != 0:
        print(run.stderr[-2000:], file=sys.stderr)
    return run.seconds, run.peak_bytes, timings, run.status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.out)
        return 0
    names = [name for name in args.cases.split(",") if name]
    unknown = [name for name in names if name not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    print(f"# bench_nj  {platform.node()}  cpus={os.cpu_count()}  numba threads="
          f"{numba.get_num_threads()}  {time.strftime('%Y-%m-%d %H:%M')}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench_nj_") as tmp:
        folder = Path(tmp)
        warm = synthetic.cgmlst_file(folder / "warm.tsv", n=300, loci=3000, missing=0.02)
        measure(warm, folder)
        header = (f"{'case':<14} {'profiles x loci':>16} {'whole run':>10} {'peak RSS':>10} "
                  f"{'read':>7} {'nj':>8} {'floor':>8} {'nj/floor':>8}  note")
        print(header)
        print("-" * len(header))
        for name in names:
            case = CASES[name]
            if case.shared_path:
                path = SHARED_DATA / case.shared_path
                if not path.exists():
                    print(f"{name:<14} skipped: {path} is absent")
                    continue
            else:
                rows = case.quick_rows if args.quick else case.rows
                path = synthetic.cgmlst_file(folder / f"{name}.tsv", n=rows, loci=3000, missing=0.02)
            matrix = open_dataset(path).profiles.matrix
            shape = f"{matrix.shape[0]:,} x {matrix.shape[1]:,}"
            seconds, peak, timings, status = measure(path, folder)
            floor = time_floor(matrix, repeat=1)
            del matrix
            if status != 0:
                failed = True
                print(f"{name:<14} {shape:>16} FAILED (exit {status})")
                continue
            note = case.note
            if case.target_seconds is not None and not args.quick:
                verdict = "PASS" if seconds < case.target_seconds else "MISS"
                note = f"{note}: {verdict}"
            if case.rows and not case.target_seconds and not args.quick:
                note = f"{note}: {'PASS' if peak < 24 * GB else 'MISS'}"
            print(f"{name:<14} {shape:>16} {seconds:>9.1f}s {peak / MB:>8,.0f}MB "
                  f"{timings['read']:>6.1f}s {timings['nj']:>7.1f}s {floor.seconds:>7.1f}s "
                  f"{timings['nj'] / floor.seconds:>7.1f}x  {note}", flush=True)
            if args.quick:
                print("  (quick size: targets do not apply)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
