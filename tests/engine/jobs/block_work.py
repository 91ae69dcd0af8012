"""Work that splits its distance pass into blocks, for the Dask tests (importable by the workers)."""

from __future__ import annotations

from typing import Any

from generated_datasets import cgmlst_like

from engine.algorithms import blocks
from engine.algorithms.registry import infer
from engine.jobs.dask_blocks import DaskBlocks
from engine.models import CancelCheck, Inference, ProgressCallback
from engine.storage.records import JobRecord


def infer_in_blocks(name: str, n: int, loci: int, seed: int, pieces: int) -> tuple[Inference, list[float]]:
    """A task: inference ``name`` of :func:`cgmlst_like` data, every distance pass split into ``pieces``
    blocks over the cluster; returns it and every progress fraction reported."""
    fractions: list[float] = []
    with blocks.using(DaskBlocks(split_above=0, pieces=pieces)):
        inference = infer(name, cgmlst_like(n, loci, seed), progress=fractions.append)
    return inference, fractions


def infer_generated(record: JobRecord, progress: ProgressCallback, cancel: CancelCheck | None) -> Any:
    """Work: inference ``algorithm`` of :func:`cgmlst_like` data of the job's ``n``, ``loci`` and ``seed``."""
    options = record.options
    data = cgmlst_like(options["n"], options["loci"], options["seed"])
    return infer(options["algorithm"], data, progress=progress, cancel=cancel)


def _fail_at_two(first: int, last: int) -> int:
    """A block function whose block starting at 2 fails."""
    if first == 2:
        raise ValueError("block 2 failed")
    return first


def run_failing_blocks() -> list[int]:
    """A task: four blocks of :func:`_fail_at_two` over the cluster; it raises block 2's error."""
    combined: list[int] = []
    DaskBlocks(split_above=0, pieces=4).run(_fail_at_two, (), [(0, 1), (1, 2), (2, 3), (3, 4)],
                                            lambda block, first: combined.append(first))
    return combined
