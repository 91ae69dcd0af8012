"""Write the demo dataset of PhyloDash: synthetic MLST profiles with a clonal structure and isolates.

The data are made up (no real isolate is described) but shaped like a PubMLST export: 7 loci named
after the *Campylobacter jejuni* scheme, a few clonal complexes each grown from a founder by single-
and double-locus variation, some singletons, and isolates with country, year, collection date (ISO
``YYYY-MM-DD`` in that year, more often in summer, as campylobacteriosis is), source and clonal complex,
more of them on the founders, as real collections have. Run it from the project root to
regenerate ``assets/demo/``; the same seed always gives the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

LOCI = ("aspA", "glnA", "gltA", "glyA", "pgm", "tkt", "uncA")
COUNTRIES = ("United Kingdom", "Netherlands", "Portugal", "Finland", "New Zealand", "Canada", "Japan")
SOURCES = ("human stool", "chicken", "cattle", "sheep", "wild bird", "environmental water")
#: Relative weight of each month (January first) of a collection date: a summer peak.
MONTH_WEIGHTS = (2, 2, 3, 4, 6, 9, 10, 9, 6, 4, 3, 2)
HERE = Path(__file__).resolve().parent


def demo_profiles(rng: np.random.Generator, complexes: int = 8, size: int = 30,
                  singletons: int = 20) -> tuple[list[list[int]], list[str]]:
    """Distinct 7-locus profiles and the clonal complex of each ("" for a singleton)."""
    next_allele = [40] * len(LOCI)
    profiles: list[list[int]] = []
    complex_of: list[str] = []
    seen: set[tuple[int, ...]] = set()

    def add(profile: list[int], label: str) -> bool:
        key = tuple(profile)
        if key in seen:
            return False
        seen.add(key)
        profiles.append(profile)
        complex_of.append(label)
        return True

    for _ in range(complexes):
        founder = [int(a) for a in rng.integers(1, 40, size=len(LOCI))]
        add(founder, f"ST-{len(profiles) + 1} complex")
        label = complex_of[-1]
        members = [founder]
        while len(members) < size:
            parent = members[int(rng.integers(0, len(members)))]
            child = list(parent)
            for locus in rng.choice(len(LOCI), size=int(rng.choice([1, 1, 1, 2])), replace=False):
                if rng.random() < 0.5:
                    child[locus] = int(rng.integers(1, 40))
                else:
                    child[locus] = next_allele[locus]
                    next_allele[locus] += 1
            if add(child, label):
                members.append(child)
    while singletons:
        if add([int(a) for a in rng.integers(1, 60, size=len(LOCI))], ""):
            singletons -= 1
    return profiles, complex_of


def collection_date(rng: np.random.Generator, year: int) -> str:
    """An ISO date in ``year``: the month by :data:`MONTH_WEIGHTS`, the day uniform in that month."""
    weights = np.asarray(MONTH_WEIGHTS, dtype=np.float64)
    month = int(rng.choice(12, p=weights / weights.sum())) + 1
    first = np.datetime64(f"{year}-{month:02d}", "M")
    days = int(((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64))
    return str(first.astype("datetime64[D]") + int(rng.integers(0, days)))


def write_demo(folder: Path, seed: int = 2024) -> None:
    """Write ``profiles.tsv`` and ``isolates.tsv`` into ``folder``.

    The dates come from a generator of their own (seeded from ``seed``), so that adding them left every
    other value as it was.
    """
    rng = np.random.default_rng(seed)
    dates = np.random.default_rng([seed, 1])
    profiles, complex_of = demo_profiles(rng)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "profiles.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write("ST\t" + "\t".join(LOCI) + "\n")
        for st, profile in enumerate(profiles, start=1):
            out.write(f"{st}\t" + "\t".join(map(str, profile)) + "\n")
    with open(folder / "isolates.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write("id\tisolate\tcountry\tyear\tdate\tsource\tST\tclonal_complex\n")
        isolate = 0
        for st, label in enumerate(complex_of, start=1):
            founder = label == f"ST-{st} complex"
            home = COUNTRIES[int(rng.integers(0, len(COUNTRIES)))]
            for _ in range(int(rng.integers(4, 12)) if founder else int(rng.integers(1, 4))):
                isolate += 1
                country = home if rng.random() < 0.7 else COUNTRIES[int(rng.integers(0, len(COUNTRIES)))]
                year = int(rng.integers(1998, 2025))
                source = SOURCES[int(rng.integers(0, len(SOURCES)))]
                date = collection_date(dates, year)
                out.write(f"{isolate}\tDEMO-{isolate:04d}\t{country}\t{year}\t{date}\t{source}\t{st}\t"
                          f"{label}\n")


def main() -> None:
    """Command line: ``python assets/make_demo.py [--out FOLDER] [--seed N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "demo")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    write_demo(args.out, args.seed)


if __name__ == "__main__":
    main()
