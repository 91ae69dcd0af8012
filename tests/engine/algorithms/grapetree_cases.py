"""Helpers shared by the GrapeTree tests: small datasets from literal rows (from allele matrices:
:func:`generated_datasets.from_matrix`)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.io.datasets import read_dataset
from engine.models import Dataset, Inference

#: Reference file name prefix -> profile table under ``../shared/data`` (reference/README.md).
REFERENCE_DATA = {
    "agona_profiles": "agona/profiles.tsv",
    "simulated_profiles": "simulated/profiles.tsv",
    "pyogenes_profiles": "pyogenes/profiles.txt",
    "phylodb_profiles_2000": "phylodb/profiles_2000.txt",
    "campylobacter_typing_6000": "campylobacter/typing_6000.txt",
}


def table(rows: Sequence[Sequence[int | str]], ids: Sequence[str] | None = None) -> bytes:
    """A tab-separated profile table, header ``ST l1 l2 ...``, ids "1".."n" unless given."""
    ids = [str(i + 1) for i in range(len(rows))] if ids is None else list(ids)
    header = "ST\t" + "\t".join(f"l{k + 1}" for k in range(len(rows[0]))) + "\n"
    lines = (f"{label}\t" + "\t".join(map(str, row)) + "\n" for label, row in zip(ids, rows, strict=True))
    body = "".join(lines)
    return (header + body).encode()


def dataset(rows: Sequence[Sequence[int | str]], ids: Sequence[str] | None = None) -> Dataset:
    """Read literal rows through the reader (``-`` is missing)."""
    return read_dataset(table(rows, ids))


def directed_edges(result: Inference) -> set[tuple[str, str, int]]:
    """(parent id, child id, distance) of every edge."""
    return {(edge.parent, edge.child, edge.distance) for edge in result.edges()}


def undirected_edges(result: Inference) -> set[tuple[frozenset[str], int]]:
    """({id, id}, distance) of every edge."""
    return {(frozenset((edge.parent, edge.child)), edge.distance) for edge in result.edges()}


def assert_spanning_tree(result: Inference) -> None:
    """Every row is in exactly one tree: edges = rows - roots, each non-root row has one parent."""
    n = len(result.ids)
    assert len(result.parents) == n - len(result.roots)
    children = result.children.tolist()
    assert len(set(children)) == len(children)
    assert set(children).isdisjoint(result.roots.tolist())
    assert set(children) | set(result.roots.tolist()) == set(range(n))
    parent = dict(zip(children, result.parents.tolist(), strict=True))
    for row in range(n):  # every row reaches a root without a cycle
        seen = set()
        while row in parent:
            assert row not in seen
            seen.add(row)
            row = parent[row]
        assert row in set(result.roots.tolist())
