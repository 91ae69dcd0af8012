"""Plain data shared by the engine's readers, algorithms, layouts and writers.

Everything here is a frozen dataclass over lists and numpy arrays, so the job runner can pickle it
and the API and the dashboard can read it without knowing how it was made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

#: Called with a number in [0, 1] as a long run advances.
ProgressCallback = Callable[[float], None]
#: Called now and then by a long run; returning True asks it to stop (it raises CancelledError).
CancelCheck = Callable[[], bool]

MISSING_MODES = ("difference", "ignore", "allele")

# Codes of the rule that decided an edge (Edge.rule); a positive code k is "LV level k".
RULE_DISTANCE = 0
RULE_FREQUENCY = -1
RULE_ID = -2
RULE_IDENTICAL = -3
_RULE_NAMES = {RULE_DISTANCE: "distance", RULE_FREQUENCY: "frequency", RULE_ID: "id",
               RULE_IDENTICAL: "identical"}


def rule_name(code: int) -> str:
    """Name of a rule code: ``distance``, ``lv1``, ``lv2``, ..., ``frequency``, ``id`` or ``identical``."""
    return _RULE_NAMES.get(int(code), f"lv{int(code)}")


def rule_code(name: str) -> int:
    """Inverse of :func:`rule_name`; raises ``ValueError`` for an unknown name."""
    for code, known in _RULE_NAMES.items():
        if known == name:
            return code
    if name.startswith("lv") and name[2:].isdigit() and int(name[2:]) > 0:
        return int(name[2:])
    raise ValueError(f"unknown edge rule {name!r}")


@dataclass(frozen=True)
class Profiles:
    """Allelic profiles: one row per profile, one column per locus.

    ``matrix[i, l]`` is the allele code of row ``i`` at locus ``l``: 0 is missing, codes 1.. are
    numbered per locus in order of first appearance; ``alleles[l][code]`` is the allele as written
    in the file (``alleles[l][0] == ""``). Row order is the file's order.
    """

    ids: list[str]
    loci: list[str]
    matrix: np.ndarray
    alleles: list[list[str]]
    missing_values: tuple[str, ...]
    kind: str = "mlst"  # "mlst" (one column per locus) or "snp" (one character per locus)

    @property
    def size(self) -> int:
        """Number of profiles (rows)."""
        return len(self.ids)

    def allele(self, row: int, locus: int) -> str:
        """The allele of ``row`` at ``locus`` as written in the file ("" when missing)."""
        return self.alleles[locus][int(self.matrix[row, locus])]


def first_identical_row(matrix: np.ndarray) -> np.ndarray:
    """For every row, the index of the first row with the same code at every locus.

    Rows are compared exactly (a missing code equals a missing code), in O(n loci) time; memory
    beyond the result is a 16-byte digest per distinct row (rows with equal digests are compared
    code by code).

    Examples
    --------
    >>> first_identical_row(np.array([[1, 2], [1, 1], [1, 2], [1, 1]], np.uint16)).tolist()
    [0, 1, 0, 1]
    """
    rows = np.ascontiguousarray(matrix)
    first: dict[bytes, int] = {}
    exact: dict[bytes, int] = {}  # rows whose digest an unequal earlier row has (a collision)
    result = np.empty(rows.shape[0], np.int64)
    for row, values in enumerate(rows):
        earlier = first.setdefault(hashlib.blake2b(values, digest_size=16).digest(), row)
        if earlier != row and not np.array_equal(values, rows[earlier]):
            earlier = exact.setdefault(values.tobytes(), row)
        result[row] = earlier
    return result


@dataclass(frozen=True)
class Isolates:
    """Isolate metadata: ``rows[r][c]`` is the value of column ``columns[c]`` for isolate ``r``.

    ``profile_rows[r]`` is the profile row that isolate ``r`` belongs to, or -1 when its ST is
    missing or not among the profiles.
    """

    columns: list[str]
    rows: list[list[str]]
    profile_column: str
    profile_rows: np.ndarray


@dataclass(frozen=True)
class SkippedLine:
    """A line the reader left out, with the reason in plain words."""

    line: int
    reason: str


@dataclass(frozen=True)
class ReadReport:
    """What a reader found: counts, quirks and left-out lines, to show to the user."""

    profiles: int
    loci: int
    missing_cells: int
    missing_values: tuple[str, ...]
    duplicate_ids: list[str] = field(default_factory=list)
    identical_groups: list[list[str]] = field(default_factory=list)
    skipped_lines: list[SkippedLine] = field(default_factory=list)
    isolates: int = 0
    isolates_without_profile: int = 0
    notes: list[str] = field(default_factory=list)
    #: Lines of the isolates file that were left out (``skipped_lines`` are the profile file's).
    isolate_skipped_lines: list[SkippedLine] = field(default_factory=list)


@dataclass(frozen=True)
class Dataset:
    """Profiles plus optional isolates, with the frequency of each profile row.

    ``counts[i]`` is the number of isolates that reference row ``i`` when isolates are loaded,
    else 1 for every row.
    """

    profiles: Profiles
    isolates: Isolates | None
    counts: np.ndarray
    report: ReadReport


@dataclass(frozen=True)
class Edge:
    """One directed edge of a tree: parent id -> child id, its length and the deciding rule.

    ``distance`` is a whole number of loci for the spanning trees and a fractional branch length for
    neighbour joining and dendrograms.
    """

    parent: str
    child: str
    distance: int | float
    rule: str


@dataclass(frozen=True)
class Inference:
    """A tree or forest over the rows of a dataset, with internal nodes for NJ trees and dendrograms.

    Nodes ``0 .. profile_count - 1`` are the dataset's rows, in row order; the ``internal`` nodes
    after them (ancestors that are not profiles, named ``#1``, ``#2``, ... in ``ids``) have no
    isolates. Edges are parallel arrays of node indices, oriented parent -> child, sorted by distance
    for the spanning trees (ties in the order the algorithm took them). ``distances`` are integers
    for spanning trees and floats for NJ trees and dendrograms. ``roots`` lists the root of every tree
    in root order, singletons (profiles without an edge) included after the others. ``counts`` is the
    frequency of every node as the algorithm used it (0 for internal nodes).
    """

    algorithm: str
    parameters: dict[str, object]
    ids: list[str]
    parents: np.ndarray
    children: np.ndarray
    distances: np.ndarray
    rules: np.ndarray
    roots: np.ndarray
    counts: np.ndarray
    internal: int = 0

    @property
    def profile_count(self) -> int:
        """Number of nodes that are dataset rows (all but the internal ones)."""
        return len(self.ids) - self.internal

    def edges(self) -> Iterator[Edge]:
        """The edges as :class:`Edge` records with ids and rule names, in edge order."""
        for parent, child, distance, rule in zip(
            self.parents.tolist(),
            self.children.tolist(),
            self.distances.tolist(),
            self.rules.tolist(),
            strict=True,
        ):
            yield Edge(self.ids[parent], self.ids[child], distance, rule_name(rule))

    @property
    def total_distance(self) -> int | float:
        """Sum of the edge distances."""
        return self.distances.sum().item()


def internal_ids(ids: list[str], count: int) -> list[str]:
    """Names for ``count`` internal nodes: ``#1``, ``#2``, ..., each with as many ``#`` as it takes
    to differ from every profile id in ``ids``.

    Examples
    --------
    >>> internal_ids(["A", "#2"], 3)
    ['#1', '##2', '#3']
    """
    taken = set(ids)
    names = []
    for k in range(1, count + 1):
        name = f"#{k}"
        while name in taken:
            name = "#" + name
        names.append(name)
    return names


@dataclass(frozen=True)
class Layout:
    """Coordinates of the nodes of an inference: ``x[i], y[i]`` for row ``rows[i]``.

    ``component[i]`` (1, 2, ...) is the tree of the forest the node belongs to, in root order.
    """

    algorithm: str
    parameters: dict[str, object]
    ids: list[str]
    rows: np.ndarray
    x: np.ndarray
    y: np.ndarray
    component: np.ndarray
