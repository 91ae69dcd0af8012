"""Deterministic synthetic typing data for the benchmarks: clonal cgMLST and MLST profile tables.

Both generators grow a population the way clonal bacteria do: a few founders, then each new
profile copies an earlier one and changes a few loci. The result is a matrix of allele numbers
(0 = missing) that :func:`write_profiles` saves as the tab-separated table PhyloDash reads.
The same arguments (and seed) always give the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Loci of the Salmonella enterica MLST scheme, used as column names of :func:`clonal_mlst` tables.
MLST_LOCI = ("aroC", "dnaN", "hemD", "hisD", "purE", "sucA", "thrA")


def clonal_cgmlst(
    n: int = 5000, loci: int = 3000, missing: float = 0.02, seed: int = 20261128
) -> np.ndarray:
    """A cgMLST-like ``(n, loci)`` allele matrix with a clonal structure and missing calls.

    Parameters
    ----------
    n : int
        Number of profiles.
    loci : int
        Number of loci.
    missing : float
        Mean fraction of missing cells (coded 0). Each profile draws its own rate from a gamma
        distribution with this mean (assemblies differ in quality), so some profiles miss almost
        nothing and a few miss several times the mean.
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    numpy.ndarray
        ``uint16`` allele numbers, 1.. per locus, 0 = missing.

    Notes
    -----
    About ``sqrt(n)`` founders (at least 2) descend from one random ancestor, each from a random
    earlier founder with between 3% and 40% of its loci changed, so clusters lie hundreds to
    thousands of loci apart. Every other profile joins a clonal group (group sizes are skewed,
    a few groups are large) and copies a member of that group, usually one of its latest ten
    members, then mutates a Poisson(3) number of loci to new allele numbers. Within a group
    profiles are therefore 0 to a few dozen alleles apart.
    """
    if n < 1 or loci < 1 or not 0.0 <= missing < 1.0:
        raise ValueError("need n >= 1, loci >= 1 and 0 <= missing < 1")
    rng = np.random.default_rng(seed)
    founders = min(n, max(2, round(n**0.5)))
    matrix = np.zeros((n, loci), np.int64)
    ancestor = rng.integers(1, 41, size=loci)
    next_allele = np.full(loci, 41, np.int64)

    def mutate(row: np.ndarray, count: int) -> None:
        changed = rng.choice(loci, size=min(count, loci), replace=False)
        row[changed] = next_allele[changed]
        next_allele[changed] += 1

    group_rows: list[list[int]] = []
    for f in range(founders):
        matrix[f] = ancestor if f == 0 else matrix[rng.integers(0, f)]
        mutate(matrix[f], int(rng.uniform(0.03, 0.40) * loci))
        group_rows.append([f])
    weights = 1.0 / np.arange(1, founders + 1) ** 0.8
    weights /= weights.sum()
    groups = rng.choice(founders, size=n, p=weights)
    for i in range(founders, n):
        members = group_rows[groups[i]]
        if rng.random() < 0.8:
            parent = members[-1 - int(rng.integers(0, min(10, len(members))))]
        else:
            parent = members[int(rng.integers(0, len(members)))]
        matrix[i] = matrix[parent]
        mutate(matrix[i], int(rng.poisson(3.0)))
        members.append(i)
    rates = rng.gamma(2.0, missing / 2.0, size=n) if missing > 0 else np.zeros(n)
    holes = rng.random((n, loci)) < np.minimum(rates, 0.5)[:, None]
    matrix[holes] = 0
    if matrix.max() >= np.iinfo(np.uint16).max:
        raise ValueError("too many alleles for uint16; lower n")
    return matrix.astype(np.uint16)


def clonal_mlst(n: int = 100_000, loci: int = 7, seed: int = 20261129) -> np.ndarray:
    """An MLST-like ``(n, loci)`` allele matrix of ``n`` distinct sequence types.

    Parameters
    ----------
    n : int
        Number of sequence types (rows; all different).
    loci : int
        Number of loci (7 for classic MLST).
    seed : int
        Seed of the numpy Generator.

    Returns
    -------
    numpy.ndarray
        ``uint16`` allele numbers, small positive integers, no missing values.

    Notes
    -----
    50 founders with alleles 1..30; every later ST copies a uniformly chosen earlier ST and
    changes one locus (80%) or two (20%). A changed locus gets a new allele number (30%) or,
    as recombination would, an allele another ST already has at that locus (70%). A variant
    equal to an existing ST is drawn again. Most STs therefore have single-, double- and
    triple-locus variants, as in real MLST databases.
    """
    if n < 1 or loci < 2:
        raise ValueError("need n >= 1 and loci >= 2")
    rng = np.random.default_rng(seed)
    founders = min(n, 50)
    matrix = np.zeros((n, loci), np.int64)
    seen: set[bytes] = set()
    next_allele = np.full(loci, 31, np.int64)
    row = 0
    while row < founders:
        candidate = rng.integers(1, 31, size=loci)
        key = candidate.tobytes()
        if key not in seen:
            seen.add(key)
            matrix[row] = candidate
            row += 1
    while row < n:
        candidate = matrix[rng.integers(0, row)].copy()
        changed = rng.choice(loci, size=1 if rng.random() < 0.8 else 2, replace=False)
        for locus in changed:
            if rng.random() < 0.3:
                candidate[locus] = next_allele[locus]
                next_allele[locus] += 1
            else:
                candidate[locus] = matrix[rng.integers(0, row), locus]
        key = candidate.tobytes()
        if key in seen:
            continue
        seen.add(key)
        matrix[row] = candidate
        row += 1
    return matrix.astype(np.uint16)


def write_profiles(
    path: Path,
    matrix: np.ndarray,
    *,
    id_header: str = "ST",
    locus_names: list[str] | tuple[str, ...] | None = None,
    missing: str = "-",
) -> Path:
    """Write an allele matrix as a tab-separated profile table (ids 1..n, 0 written as ``missing``).

    Parameters
    ----------
    path : Path
        File to write (replaced).
    matrix : numpy.ndarray
        ``(n, loci)`` allele numbers, 0 = missing.
    id_header : str
        Header of the id column (``ST``, ``#Name``, ...).
    locus_names : sequence of str, optional
        Locus column names; default ``locus0001``, ``locus0002``, ...
    missing : str
        Text written for a missing allele.

    Returns
    -------
    Path
        ``path``.
    """
    n, loci = matrix.shape
    if locus_names is None:
        locus_names = [f"locus{k + 1:04d}" for k in range(loci)]
    if len(locus_names) != loci:
        raise ValueError("one locus name per column, please")
    words = np.array([missing, *(str(v) for v in range(1, int(matrix.max(initial=0)) + 1))], dtype=object)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join([id_header, *locus_names]) + "\n")
        for i in range(n):
            handle.write(f"{i + 1}\t" + "\t".join(words[matrix[i]]) + "\n")
    return path


def cgmlst_file(path: Path, n: int = 5000, loci: int = 3000, missing: float = 0.02) -> Path:
    """Generate :func:`clonal_cgmlst` and write it to ``path`` (``#Name`` header, ``-`` missing)."""
    return write_profiles(path, clonal_cgmlst(n, loci, missing), id_header="#Name")


def mlst_file(path: Path, n: int = 100_000) -> Path:
    """Generate :func:`clonal_mlst` with 7 loci and write it to ``path`` (``ST`` header)."""
    return write_profiles(path, clonal_mlst(n, len(MLST_LOCI)), locus_names=MLST_LOCI)


#: Values of the metadata columns :func:`isolates_file` writes, drawn with skewed frequencies.
ISOLATE_VALUES = {
    "country": ("UK", "The Netherlands", "New Zealand", "Portugal", "USA", "Japan"),
    "source": ("human stool", "chicken", "cattle", "sheep", "environment"),
    "disease": ("gastroenteritis", "carrier", "systemic disease"),
}


def isolates_file(path: Path, profiles: int | Sequence[str], n: int = 1000, seed: int = 20261130) -> Path:
    """Write ``n`` isolates of STs drawn from 1..``profiles`` (or from the ids ``profiles``; an ``ST``
    column) with the metadata columns of :data:`ISOLATE_VALUES`, each value twice as frequent as the
    next, to ``path``."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, values in ISOLATE_VALUES.items():
        weights = 0.5 ** np.arange(len(values))
        columns[name] = rng.choice(values, size=n, p=weights / weights.sum())
    ids = np.arange(1, profiles + 1).astype(str) if isinstance(profiles, int) else np.asarray(profiles)
    sts = ids[rng.integers(0, len(ids), size=n)]
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join(["id", "ST", *ISOLATE_VALUES]) + "\n")
        for i in range(n):
            cells = [str(i + 1), str(sts[i]), *(str(columns[name][i]) for name in ISOLATE_VALUES)]
            handle.write("\t".join(cells) + "\n")
    return path
