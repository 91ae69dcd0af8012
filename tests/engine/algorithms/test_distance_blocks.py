"""Block executors (engine/algorithms/blocks.py) and the distance passes split into blocks.

A split pass must give exactly the arrays of the pass in one piece, whatever the number of blocks
and the order their partial results come in: here the blocks run in this process (``InProcess``
with a threshold of 0), in order and reversed, on a cgMLST-like random table with missing calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from generated_datasets import cgmlst_like
from generated_datasets import inference_arrays as arrays

import engine.algorithms.goeburst as goeburst_module
from engine.algorithms import blocks
from engine.algorithms.blocks import Block, InProcess
from engine.algorithms.registry import infer
from engine.errors import CancelledError
from engine.models import CancelCheck, ProgressCallback


class Reversed(InProcess):
    """Runs the blocks in this process, last block first: partial results out of order."""

    def run(self, function: Callable[..., Any], shared: tuple[Any, ...], blocks: Sequence[Block],
            combine: Callable[[Block, Any], None], *, progress: ProgressCallback | None = None,
            cancel: CancelCheck | None = None) -> None:
        super().run(function, shared, list(reversed(blocks)), combine, progress=progress, cancel=cancel)


def test_split_covers_the_units_in_about_equal_blocks_only_above_the_threshold() -> None:
    executor = InProcess(split_above=1000, pieces=4)
    assert executor.split(10, 1001) == [(0, 3), (3, 6), (6, 8), (8, 10)]
    assert executor.split(10, 1000) is None  # not above the threshold
    assert executor.split(3, 10**6) == [(0, 1), (1, 2), (2, 3)]  # never more blocks than units
    assert executor.split(1, 10**6) is None
    assert InProcess().split(10**6, 10**15) is None  # the default never splits
    with pytest.raises(ValueError, match="pieces must be at least 1"):
        InProcess(pieces=0)


def test_in_process_runs_the_blocks_in_order_with_progress_and_cancel() -> None:
    combined: list[tuple[Block, int]] = []
    fractions: list[float] = []
    InProcess().run(lambda base, first, last: base + sum(range(first, last)), (100,),
                    [(0, 2), (2, 3), (3, 7)], lambda block, value: combined.append((block, value)),
                    progress=fractions.append)
    assert combined == [((0, 2), 101), ((2, 3), 102), ((3, 7), 118)]
    assert fractions == [2 / 7, 3 / 7, 1.0]

    computed: list[Block] = []
    with pytest.raises(CancelledError):
        InProcess().run(lambda first, last: computed.append((first, last)), (), [(0, 1), (1, 2), (2, 3)],
                        lambda block, value: None, cancel=lambda: len(computed) == 2)
    assert computed == [(0, 1), (1, 2)]  # the cancel is seen before the third block


def test_using_sets_the_executor_for_its_block_only() -> None:
    assert isinstance(blocks.current(), InProcess) and blocks.current().split_above is None
    outer, inner = InProcess(split_above=1), InProcess(split_above=2)
    with blocks.using(outer):
        with blocks.using(inner):
            assert blocks.current() is inner
        assert blocks.current() is outer
    assert blocks.current().split_above is None


@pytest.mark.parametrize("executor", [InProcess(split_above=0, pieces=5), Reversed(split_above=0, pieces=7)],
                         ids=["in-order", "reversed"])
@pytest.mark.parametrize("name", ["goeburst-full", "goeburst", "mstree-v2", "mstree", "nj"])
def test_a_split_pass_gives_the_same_inference(name: str, executor: InProcess) -> None:
    data = cgmlst_like(90, 140, seed=3)
    expected = arrays(infer(name, data))
    fractions: list[float] = []
    with blocks.using(executor):
        assert arrays(infer(name, data, progress=fractions.append)) == expected
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("missing", ["difference", "ignore"])
def test_a_split_lv_pass_without_a_matrix_gives_the_same_inference(monkeypatch: pytest.MonkeyPatch,
                                                                   missing: str) -> None:
    data = cgmlst_like(70, 90, seed=5)
    monkeypatch.setattr(goeburst_module, "DISTANCE_MATRIX_LIMIT_BYTES", 0)  # LV counts on the fly
    for name, options in (("goeburst-full", {"missing": missing}),
                          ("goeburst", {"lvs": 4, "missing": missing})):
        expected = arrays(infer(name, data, options))
        with blocks.using(Reversed(split_above=0, pieces=6)):
            assert arrays(infer(name, data, options)) == expected
