"""The bundled world: country outlines, names and ISO 3166-1 codes (``assets/maps/``, Natural Earth 1:110m),
and which country a metadata value names.

A value is matched by name or code after :func:`normalised` (accents, case and punctuation ignored); a value
that names no country is left unmatched, never guessed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

#: The bundled world: country outlines, names and codes (see assets/maps/README.md).
WORLD_FILE = Path(__file__).resolve().parents[2] / "assets" / "maps" / "world-110m.json"
#: Names the world file does not give (parts of a country, old, informal or common local names), by ISO
#: alpha-2 code.
EXTRA_NAMES = {
    "GB": ("England", "Scotland", "Wales", "Northern Ireland", "Britain", "U.K."),
    "NL": ("Holland",),
    "US": ("United States of America (USA)",),
    "VN": ("Viet Nam",),
    "KR": ("Korea",),
    "CZ": ("Czech Rep.",),
    "LA": ("Laos",),
    "SY": ("Syria",),
    "MD": ("Moldova",),
    "ES": ("España",),
    "DE": ("Deutschland",),
    "IT": ("Italia",),
    "BR": ("Brasil",),
    "MX": ("México",),
    "AT": ("Österreich",),
    "CH": ("Schweiz", "Suisse", "Svizzera"),
    "BE": ("België", "Belgique"),
    "SE": ("Sverige",),
    "NO": ("Norge",),
    "DK": ("Danmark",),
    "FI": ("Suomi",),
    "PL": ("Polska",),
}
#: Values that mean "no place" (and must not match Namibia's code NA).
NO_PLACE = frozenset({"", "na", "n/a", "nan", "none", "null", "unknown", "not known", "missing", "-", "?"})
def normalised(name: str) -> str:
    """A name as compared: accents dropped, case folded, ``.`` and ``'`` removed, other punctuation as
    spaces. Examples: ``normalised("Côte d'Ivoire") == "cote divoire"``, ``normalised("U.K.") == "uk"``."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().replace("&", " and ")
    text = re.sub("[.'\u2019]", "", text)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@dataclass(frozen=True)
class Country:
    """A country of the world file: names, codes, its centre (lon, lat) and outlines.

    ``polygons`` is a list of polygons, each a list of rings (outer first, then holes), each an ``(n, 2)``
    array of lon, lat; empty for a country too small to draw at this scale (shown as a point).
    """

    name: str
    iso2: str
    iso3: str
    names: tuple[str, ...]
    centre: tuple[float, float]
    polygons: list[list[np.ndarray]]

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point is inside the country's outline (even-odd rule: holes are outside)."""
        inside = False
        for polygon in self.polygons:
            for ring in polygon:
                x, y = ring[:, 0], ring[:, 1]
                x2, y2 = np.roll(x, -1), np.roll(y, -1)
                crosses = (y > lat) != (y2 > lat)
                with np.errstate(divide="ignore", invalid="ignore"):
                    at = x + (lat - y) * (x2 - x) / (y2 - y)
                inside ^= bool(np.count_nonzero(crosses & (lon < at)) % 2)
        return inside


@dataclass(frozen=True)
class World:
    """Every country of the world file, and the country of every known name or code (normalised)."""

    countries: list[Country]
    lookup: dict[str, int]

    def match(self, value: str) -> int | None:
        """The index of the country ``value`` names (a name, an ISO alpha-2 or alpha-3 code), or None."""
        return self.lookup.get(normalised(value))


@lru_cache(maxsize=1)
def world() -> World:
    """The bundled world (read once per process; it never changes).

    A name or code claimed by two countries keeps the first claim, in this order: ISO alpha-2 and alpha-3
    codes, Natural Earth's names, the ISO English names and aliases, :data:`EXTRA_NAMES`; so "Congo" is
    the Republic of the Congo, whose Natural Earth name it is.
    """
    data = json.loads(WORLD_FILE.read_text(encoding="utf-8"))
    countries = []
    for entry in data["countries"]:
        polygons = [[np.asarray(ring, np.float64).reshape(-1, 2) for ring in polygon]
                    for polygon in entry["polygons"]]
        countries.append(Country(entry["name"], entry["iso2"], entry["iso3"], tuple(entry["names"]),
                                 (float(entry["centre"][0]), float(entry["centre"][1])), polygons))
    lookup: dict[str, int] = {}
    claims = ([(c.iso2, k) for k, c in enumerate(countries)] + [(c.iso3, k) for k, c in enumerate(countries)]
              + [(c.name, k) for k, c in enumerate(countries)]
              + [(name, k) for k, c in enumerate(countries) for name in c.names]
              + [(name, k) for k, c in enumerate(countries) for name in EXTRA_NAMES.get(c.iso2, ())])
    for name, k in claims:
        key = normalised(name)
        if key and key not in NO_PLACE:
            lookup.setdefault(key, k)
    return World(countries, lookup)


def is_place(value: str) -> bool:
    """Whether a cell names a place at all (not empty, not "unknown", "NA", ...)."""
    return value.strip().casefold() not in NO_PLACE
