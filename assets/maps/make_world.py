"""Write ``world-110m.json``: the country outlines and names the dashboard's map draws and matches.

Inputs are two npm packages, unpacked (``npm pack world-atlas@2.0.2 i18n-iso-countries@7.14.0``, then
``tar xzf`` each): world-atlas's Natural Earth 1:110m countries (TopoJSON, ISC) and, for the small
countries that scale leaves out, the 1:50m ones reduced to one point each; i18n-iso-countries's ISO
3166-1 codes and English names (MIT). Run from the project root:

    python assets/maps/make_world.py WORLD_ATLAS_FOLDER I18N_ISO_COUNTRIES_FOLDER

The output is one JSON object: ``source`` (a sentence), ``countries``: one entry per country with
``name`` (Natural Earth's short name, else the ISO English name), ``iso2``, ``iso3``, ``numeric`` (ISO
3166-1 codes, "" when Natural Earth gives none, as for Kosovo), ``names`` (other names it is known by),
``centre`` (``[lon, lat]`` of the middle of its largest part, 2 decimals) and ``polygons``: a list of
polygons, each a list of rings (outer ring first, then holes), each ring a flat list ``[lon0, lat0,
lon1, lat1, ...]`` in degrees rounded to 2 decimals; a country only drawn as a point has none.
Deterministic: the same packages always give the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIGITS = 2


def _arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc of a quantized TopoJSON topology as absolute (lon, lat) points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indices: list[int]) -> list[tuple[float, float]]:
    """A closed ring stitched from arcs (``~i`` is arc ``i`` reversed), without repeated joints."""
    ring: list[tuple[float, float]] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


Ring = list[tuple[float, float]]


def _planar(polygon: list[Ring]) -> list[list[Ring]]:
    """A polygon as flat (planar) polygons: the same one when no ring crosses the antimeridian.

    A ring that circles a pole (one jump between -180 and +180, Antarctica) is closed along the pole's
    latitude. A ring that crosses the antimeridian and back (two jumps: Fiji, Chukotka) is unwrapped past
    180 and drawn twice, once shifted by -360, so each side of the map shows its part.
    """
    jumps = [sum(1 for (a, _), (b, _) in zip(ring, ring[1:] + ring[:1], strict=True) if abs(a - b) > 180)
             for ring in polygon]
    if not any(jumps):
        return [polygon]
    if jumps[0] == 1:  # a polar ring
        ring = polygon[0]
        k = next(i for i in range(len(ring)) if abs(ring[i][0] - ring[(i + 1) % len(ring)][0]) > 180)
        pole = -90.0 if ring[k][1] < 0 else 90.0
        closed = [*ring[:k + 1], (ring[k][0], pole), (ring[(k + 1) % len(ring)][0], pole), *ring[k + 1:]]
        return [[closed, *polygon[1:]]]
    east = [[(x + 360 if x < 0 else x, y) for x, y in ring] for ring in polygon]
    return [east, [[(x - 360, y) for x, y in ring] for ring in east]]


def _polygons(geometry: dict, arcs: list) -> list[list[Ring]]:
    if geometry["type"] == "Polygon":
        rings = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        rings = geometry["arcs"]
    else:
        return []
    return [planar for polygon in rings for planar in _planar([_ring(arcs, ring) for ring in polygon])]


def _area_and_centre(ring: list[tuple[float, float]]) -> tuple[float, tuple[float, float]]:
    """Absolute area (square degrees) and centroid of a ring (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return 0.0, (sum(xs) / len(xs), sum(ys) / len(ys))
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def _centre(polygons: list) -> list[float]:
    """The centroid of the outer ring of the largest polygon."""
    _, (x, y) = max((_area_and_centre(polygon[0]) for polygon in polygons), key=lambda found: found[0])
    x = (x + 180) % 360 - 180  # an unwrapped polygon's centre may lie past 180
    return [round(x, DIGITS), round(y, DIGITS)]


def _flat(ring: list[tuple[float, float]]) -> list[float]:
    flat: list[float] = []
    last = None
    for x, y in ring:
        point = (round(x, DIGITS), round(y, DIGITS))
        if point != last:  # rounding can merge neighbours
            flat.extend(point)
            last = point
    return flat


def world(atlas: Path, iso: Path) -> dict:
    """The JSON object described in the module docstring."""
    codes = {numeric: (alpha2, alpha3) for alpha2, alpha3, numeric, *_ in
             json.loads((iso / "codes.json").read_text(encoding="utf-8"))}
    english = json.loads((iso / "langs" / "en.json").read_text(encoding="utf-8"))["countries"]
    countries: dict[str, dict] = {}  # by name, to sort
    drawn: set[str] = set()
    for scale in ("110m", "50m"):
        topology = json.loads((atlas / f"countries-{scale}.json").read_text(encoding="utf-8"))
        arcs = _arcs(topology)
        for geometry in topology["objects"]["countries"]["geometries"]:
            numeric = geometry.get("id", "")
            name = geometry["properties"]["name"]
            key = numeric or name
            if key in drawn:
                continue
            polygons = _polygons(geometry, arcs)
            if not polygons:
                continue
            drawn.add(key)
            alpha2, alpha3 = codes.get(numeric, ("", ""))
            known = english.get(alpha2, [])
            known = [known] if isinstance(known, str) else known
            countries[key] = {
                "name": name, "iso2": alpha2, "iso3": alpha3, "numeric": numeric,
                "names": [other for other in known if other != name],
                "centre": _centre(polygons),
                "polygons": [[_flat(ring) for ring in polygon] for polygon in polygons] if scale == "110m"
                else [],
            }
    return {
        "source": "Natural Earth 1:110m Admin 0 countries (public domain), as TopoJSON in the npm package "
                  "world-atlas 2.0.2 (ISC), 1:50m for the centre of countries too small for 1:110m; ISO "
                  "3166-1 codes and English names from the npm package i18n-iso-countries 7.14.0 (MIT).",
        "countries": sorted(countries.values(), key=lambda country: country["name"]),
    }


def main() -> None:
    """Command line: ``python assets/maps/make_world.py ATLAS ISO [--out FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("atlas", type=Path, help="the unpacked world-atlas package folder")
    parser.add_argument("iso", type=Path, help="the unpacked i18n-iso-countries package folder")
    parser.add_argument("--out", type=Path, default=HERE / "world-110m.json")
    args = parser.parse_args()
    text = json.dumps(world(args.atlas, args.iso), ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
