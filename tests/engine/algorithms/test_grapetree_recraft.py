"""GrapeTree's branch recrafting (engine/algorithms/grapetree_recraft.py).

The whole step is checked inside MSTreeV2 against the transcription of test_mstree_v2.py (random
data there reach the re-sorting and the target end's stale variable) and against GrapeTree's own
trees (test_grapetree_reference.py). Here: the contemporary test ``C`` against that
transcription, its two shortcuts (research/grapetree-methods.md section 3.5) and small inputs.
"""

from __future__ import annotations

import doctest

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mstree_v2 import contemporary as spec_contemporary

from engine.algorithms import grapetree_recraft
from engine.algorithms.grapetree_recraft import contemporary, recraft

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
distance = st.floats(0.0, 60.0, width=32)


def test_doctests() -> None:
    assert doctest.testmod(grapetree_recraft).failed == 0


@PROPERTY
@given(a0=distance, a1=distance, b=distance, c=distance, n=st.integers(2, 60))
def test_contemporary_follows_the_formula(a0: float, a1: float, b: float, c: float, n: int) -> None:
    assert bool(contemporary(a0, a1, b, c, float(n))) == spec_contemporary(a0, a1, b, c, float(n))


def test_contemporary_shortcuts() -> None:
    # b >= a0 + c and b >= a1 + c: the third node is farther than through the pair: not contemporary.
    assert not contemporary(1.0, 2.0, 9.0, 3.0, 100.0)
    # b == c (after clamping into [0.5, N - 0.5]): contemporary.
    assert contemporary(5.0, 5.0, 4.0, 4.0, 100.0)
    assert contemporary(5.0, 5.0, 0.0, 0.2, 100.0)


def test_small_inputs() -> None:
    counts = np.array([[0, 1], [1, 0]], np.uint16)
    called = np.array([3, 3])
    ranks = np.array([0, 1])
    empty = np.zeros(0, np.int64)
    assert [x.tolist() for x in recraft(counts, called, 3, True, ranks, empty, empty, empty)] == [[], []]
    # one branch, nothing to move
    got = recraft(counts, called, 3, True, ranks, np.array([1]), np.array([0]), np.array([1]))
    assert [x.tolist() for x in got] == [[1], [0]]
