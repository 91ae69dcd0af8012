"""Datasets made from allele codes, for generated data, and inferences as plain lists to compare (the
algorithm and job tests share them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.models import Dataset, Inference, Profiles, ReadReport


def from_matrix(matrix: np.ndarray, ids: Sequence[str] | None = None,
                counts: Sequence[int] | None = None) -> Dataset:
    """A dataset built straight from allele codes (0 = missing), for generated data."""
    n, loci = matrix.shape
    ids = [str(i + 1) for i in range(n)] if ids is None else list(ids)
    top = int(matrix.max(initial=0))
    profiles = Profiles(
        ids=ids,
        loci=[f"l{k + 1}" for k in range(loci)],
        matrix=np.ascontiguousarray(matrix, dtype=np.uint16),
        alleles=[[""] + [str(code) for code in range(1, top + 1)] for _ in range(loci)],
        missing_values=("",),
    )
    report = ReadReport(profiles=n, loci=loci, missing_cells=int((matrix == 0).sum()), missing_values=("",))
    frequencies = np.ones(n, np.int64) if counts is None else np.asarray(counts, np.int64)
    return Dataset(profiles, None, frequencies, report)


def cgmlst_like(n: int, loci: int, seed: int, missing: float = 0.03) -> Dataset:
    """``n`` profiles of ``loci`` loci in five clusters (5% of the calls changed from the cluster's
    founder), with a fraction ``missing`` of the calls missing; the same for the same arguments."""
    rng = np.random.default_rng(seed)
    founders = rng.integers(1, 30, size=(5, loci))
    matrix = founders[rng.integers(0, 5, size=n)].astype(np.uint16)
    changed = rng.random(matrix.shape) < 0.05
    matrix[changed] = rng.integers(30, 40, size=int(changed.sum()))
    matrix[rng.random(matrix.shape) < missing] = 0
    return from_matrix(matrix)


def inference_arrays(inference: Inference) -> dict[str, list]:
    """What an inference is, as plain lists (ids, edges with their distances and rules, roots)."""
    return {name: np.asarray(getattr(inference, name)).tolist()
            for name in ("ids", "parents", "children", "distances", "rules", "roots")}
