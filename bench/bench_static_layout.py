"""Benchmark of the ``grapetree`` static layout (and the force layout refined from it) on big trees.

Trees of each size: a goeBURST forest of a clonal MLST table (:mod:`synthetic`, the shape real
typing data gives: a few big hubs, many singletons), a random recursive tree (many small fans) and a
preferential tree (70% of the nodes hang from an existing hub). Each layout is run once untimed (numba
compiles or loads its kernels) and then ``repeat`` times; the median wall time is printed, with the
issue's target for the static layout: under 2 s at 15,000 nodes.

Usage::

    python bench/bench_static_layout.py [--sizes 15000,20000] [--repeat 3] [--force-iterations N]

``--force-iterations N`` also times, once per tree, the force layout started from the static one
(``start=grapetree``) and from the radial one, N rounds each, with the median relative gap between
drawn edge lengths and ``100 * d + 10``; 0 (the default) skips it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import synthetic

from engine.algorithms import registry
from engine.algorithms.layouts import ZERO_DISTANCE
from engine.io.datasets import open_dataset
from engine.models import RULE_DISTANCE, Inference, Layout

TARGET_SECONDS = 2.0
TARGET_NODES = 15_000


def tree_from_parents(parents: np.ndarray, distances: np.ndarray) -> Inference:
    """An inference of one tree in which node ``i > 0`` hangs from ``parents[i - 1]``."""
    n = len(parents) + 1
    return Inference(algorithm="goeburst", parameters={}, ids=[f"P{i}" for i in range(n)],
                     parents=np.asarray(parents, dtype=np.int64), children=np.arange(1, n, dtype=np.int64),
                     distances=np.asarray(distances, dtype=np.int64),
                     rules=np.full(n - 1, RULE_DISTANCE, dtype=np.int64), roots=np.zeros(1, dtype=np.int64),
                     counts=np.ones(n, dtype=np.int64))


def random_recursive(n: int, rng: np.random.Generator) -> Inference:
    """Node i hangs from a uniformly chosen earlier node."""
    parents = np.array([rng.integers(0, i) for i in range(1, n)])
    return tree_from_parents(parents, rng.choice([0, 1, 1, 1, 2, 3], size=n - 1))


def preferential(n: int, rng: np.random.Generator) -> Inference:
    """70% of the nodes hang from the parent of a random earlier node (hubs grow), the rest anywhere."""
    parents = [0]
    for i in range(2, n):
        hub = rng.random() < 0.7
        parents.append(parents[rng.integers(0, len(parents))] if hub else int(rng.integers(0, i)))
    return tree_from_parents(np.array(parents), rng.choice([0, 1, 1, 1, 2, 3, 7], size=n - 1))


def goeburst_forest(n: int, folder: Path) -> Inference:
    """goeBURST (lvs 3) of a clonal MLST table of ``n`` profiles."""
    path = synthetic.write_profiles(folder / f"mlst-{n}.tsv", synthetic.clonal_mlst(n),
                                    locus_names=synthetic.MLST_LOCI)
    return registry.infer("goeburst", open_dataset(path))


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``run`` after one untimed call."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def length_error(layout: Layout, inference: Inference) -> float:
    """Median relative gap between drawn edge lengths and ``100 * d + 10`` (what the force layout aims at)."""
    drawn = np.hypot(layout.x[inference.parents] - layout.x[inference.children],
                     layout.y[inference.parents] - layout.y[inference.children])
    return float(np.median(np.abs(drawn / (100.0 * inference.distances + ZERO_DISTANCE) - 1)))


def time_force(name: str, inference: Inference, iterations: int) -> None:
    """Print one line per start of the force layout: seconds and edge-length error."""
    for start in ("grapetree", "radial"):
        began = time.perf_counter()
        layout = registry.lay_out("force", inference, {"start": start, "iterations": iterations})
        seconds = time.perf_counter() - began
        label = f"force from {start} x{iterations}"
        print(f"{name:<22}{len(inference.ids):>8}{len(inference.roots):>8}  {label:<26}{seconds:>9.3f}  "
              f"length error {length_error(layout, inference):.3f}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=f"{TARGET_NODES},20000", help="comma-separated node counts")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--force-iterations", type=int, default=0,
                        help="also time the force layout from the static and the radial start, N rounds")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(20261207)
    print(f"{'tree':<22}{'nodes':>8}{'trees':>8}  {'layout':<26}{'median s':>9}  target")
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(word) for word in args.sizes.split(",")):
            cases = {"goeburst clonal MLST": goeburst_forest(size, Path(folder)),
                     "random recursive": random_recursive(size, rng),
                     "preferential": preferential(size, rng)}
            for name, inference in cases.items():
                n, trees = len(inference.ids), len(inference.roots)
                seconds = median_seconds(lambda inference=inference: registry.lay_out("grapetree", inference),
                                         args.repeat)
                verdict = ""
                if n >= TARGET_NODES * 0.95 and n <= TARGET_NODES * 1.05:
                    verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
                print(f"{name:<22}{n:>8}{trees:>8}  {'grapetree':<26}{seconds:>9.3f}  {verdict}")
                if args.force_iterations:
                    time_force(name, inference, args.force_iterations)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
