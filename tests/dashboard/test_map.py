"""The map view model (dashboard/viewmodels/map.py) and the bundled world (dashboard/viewmodels/world.py)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from paths import DEMO

from dashboard.viewmodels.map import (
    MapState,
    country_columns,
    country_places,
    lat_lon_columns,
    place_at,
    point_places,
)
from dashboard.viewmodels.tree import OpenTree, TreeControls, TreeState
from dashboard.viewmodels.world import is_place, normalised, world
from engine.algorithms import registry
from engine.io.datasets import read_dataset

PROFILES = b"ST\ta\tb\n1\t1\t1\n2\t1\t2\n3\t5\t5\n4\t5\t6\n"
# i5 names no country, i6 has none ("NA" is not Namibia), i7 bad coordinates; i8's ST 9 is not a profile.
ISOLATES = ("name\tST\tcountry\tlatitude\tlongitude\n"
            "i1\t1\tPortugal\t38.7\t-9.1\n"
            "i2\t1\tPRT\t38.7\t-9.1\n"
            "i3\t2\tES\t40.4\t-3.7\n"
            "i4\t3\tEspaña\t41.4\t2.2\n"
            "i5\t3\tAtlantis\t38.7\t-9.1\n"
            "i6\t4\tNA\t\t\n"
            "i7\t4\tPT\t95\t10\n"
            "i8\t9\tFR\t48.9\t2.4\n").encode()


def open_tree(isolates: bytes) -> TreeState:
    dataset = read_dataset(PROFILES, isolates)
    inference = registry.infer("goeburst", dataset)
    state = TreeState()
    state.param.update(content=OpenTree(dataset, inference, registry.lay_out("radial", inference)),
                       controls=TreeControls.for_tree(dataset, inference))
    return state


def name_of(index: int | None) -> str | None:
    return None if index is None else world().countries[index].name


@pytest.mark.parametrize(("value", "country"), [
    ("Portugal", "Portugal"), ("PT", "Portugal"), ("prt", "Portugal"), (" portugal ", "Portugal"),
    ("Côte d'Ivoire", "Côte d'Ivoire"), ("cote d ivoire", None), ("Cote dIvoire", "Côte d'Ivoire"),
    ("England", "United Kingdom"), ("GB", "United Kingdom"), ("U.K.", "United Kingdom"),
    ("USA", "United States of America"), ("Namibia", "Namibia"), ("NA", None), ("unknown", None),
    ("", None), ("Atlantis", None), ("España", "Spain"), ("espana", "Spain"), ("Kosovo", "Kosovo"),
])
def test_countries_are_matched_by_name_or_iso_code_and_never_guessed(value, country):
    assert name_of(world().match(value)) == country


def test_the_world_has_iso_codes_and_outlines():
    countries = world().countries
    coded = [c.iso2 for c in countries if c.iso2]  # Kosovo, Somaliland, ... have no ISO 3166-1 code
    assert len(set(coded)) == len(coded) > 230 and len(countries) - len(coded) == 5
    portugal = countries[world().match("PT")]
    assert portugal.contains(-8.0, 39.5) and not portugal.contains(-4.0, 40.0)  # Madrid is in Spain
    assert normalised("São Tomé & Príncipe") == "sao tome and principe"
    assert not is_place(" n/a ") and is_place("Lisbon")


def test_place_columns_are_found_by_name_or_by_their_values():
    columns = ["id", "origin country", "host", "where", "lat", "long"]
    rows = [["1", "PT", "human", "Spain", "1", "2"], ["2", "Spain", "cow", "France", "3", "4"]]
    assert country_columns(columns, rows) == ["origin country", "where"]  # "host" holds no country
    assert lat_lon_columns(columns) == ("lat", "long")
    assert lat_lon_columns(["latitude"]) is None
    assert lat_lon_columns(["Sample Latitude", "Sample Longitude"]) == ("Sample Latitude", "Sample Longitude")


def test_the_demo_isolates_have_a_country_for_each():
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    assert country_columns(dataset.isolates.columns, dataset.isolates.rows) == ["country"]
    found = country_places(dataset, "country", None)
    index = dataset.isolates.columns.index("country")
    expected = Counter(row[index] for row, link in zip(dataset.isolates.rows, dataset.isolates.profile_rows,
                                                       strict=True) if link >= 0)
    assert dict(zip(found.names, found.totals.tolist(), strict=True)) == dict(expected)
    assert (found.unmatched, found.no_place) == ([], 0)


def test_countries_are_counted_and_what_matches_none_is_reported():
    dataset = read_dataset(PROFILES, ISOLATES)
    found = country_places(dataset, "country", None)
    assert found.kind == "country"
    assert dict(zip(found.names, found.totals.tolist(), strict=True)) == {"Portugal": 3, "Spain": 2}
    portugal = found.names.index("Portugal")
    assert found.isolates[portugal].tolist() == [0, 1, 6]
    assert (found.lon[portugal], found.lat[portugal]) == world().countries[world().match("PT")].centre
    assert found.unmatched == [("Atlantis", 1)] and found.no_place == 1  # i8 (no profile) is not counted
    assert found.selected.tolist() == found.totals.tolist()
    chosen = country_places(dataset, "country", np.array([0, 3]))
    assert chosen.selected[portugal] == 1 and chosen.selected[found.names.index("Spain")] == 1


def test_points_are_counted_by_rounded_coordinates_and_bad_ones_left_out():
    dataset = read_dataset(PROFILES, ISOLATES)
    found = point_places(dataset, "latitude", "longitude", None)
    assert found.kind == "point" and found.country.tolist() == [-1, -1, -1]
    assert dict(zip(found.names, found.totals.tolist(), strict=True)) == {
        "38.7, -9.1": 3, "40.4, -3.7": 1, "41.4, 2.2": 1}
    assert found.no_place == 2  # i6 empty, i7 latitude 95


def test_place_at_takes_the_nearest_marker_then_the_country_under_the_point():
    dataset = read_dataset(PROFILES, ISOLATES)
    found = country_places(dataset, "country", None)
    spain = found.names.index("Spain")
    assert place_at(found, found.lon[spain] + 0.5, found.lat[spain], tolerance=1.0) == spain
    assert place_at(found, 2.2, 41.4, tolerance=0.1) == spain  # Barcelona: inside Spain's outline
    assert place_at(found, 2.35, 48.85, tolerance=0.1) is None  # Paris: France has no isolate here
    assert place_at(point_places(dataset, "latitude", "longitude", None), -8.0, 39.5, 0.1) is None


def test_no_place_column_means_no_map():
    model = MapState(tree=open_tree(b"name\tST\thost\ni1\t1\thuman\n"))
    assert (model.available, model.places, model.column, model.message) == (False, None, None, "")
    assert MapState(tree=TreeState()).available is False


def test_the_map_offers_countries_then_coordinates_and_says_what_it_leaves_out():
    model = MapState(tree=open_tree(ISOLATES))
    assert model.param.column.objects == ["country", "latitude, longitude"]
    assert model.available and model.column == "country"
    assert model.message.startswith("5 isolates in 2 countries (**country**).")
    assert "Not matched to a country, so not on the map: 'Atlantis' (1)." in model.message
    assert "1 without a place." in model.message
    model.column = "latitude, longitude"
    assert model.places.kind == "point" and "5 isolates in 3 points" in model.message


def test_picking_a_place_selects_the_profiles_of_its_isolates_and_the_map_counts_their_isolates():
    tree = open_tree(ISOLATES)
    model = MapState(tree=tree)
    spain = model.places.names.index("Spain")
    assert model.pick(spain) == [1, 2]  # i3 (ST 2) and i4 (ST 3)
    assert tree.selection.rows == [1, 2] and tree.selection.source == "map" and model.picked == "Spain"
    # ST 3's other isolate i5 names no country; ST 2 has no isolate elsewhere
    assert dict(zip(model.places.names, model.places.selected.tolist(), strict=True)) == {
        "Portugal": 0, "Spain": 2}
    assert "the 2 isolates of the 2 profiles of 'Spain'" in model.message
    tree.selection.choose([0, 3], "epicurve")
    assert model.picked == "" and "of the time window brushed on the curve" in model.message
    assert dict(zip(model.places.names, model.places.selected.tolist(), strict=True)) == {
        "Portugal": 3, "Spain": 0}
    portugal = model.places.names.index("Portugal")
    assert model.pick_at(float(model.places.lon[portugal]), float(model.places.lat[portugal]), 1.0) == [0, 3]
    assert model.pick(None) == [] and tree.selection.rows == [] and tree.selection.source == "map"


def test_another_column_drops_the_maps_own_selection_but_not_anothers():
    tree = open_tree(ISOLATES)
    model = MapState(tree=tree)
    model.pick(0)
    model.column = "latitude, longitude"
    assert tree.selection.rows == []
    tree.selection.choose([3], "table")
    model.column = "country"
    assert tree.selection.rows == [3]


def test_a_new_tree_is_counted_afresh():
    tree = open_tree(ISOLATES)
    model = MapState(tree=tree)
    other = open_tree(b"name\tST\tcountry\ni1\t1\tJapan\ni2\t2\tJapan\n")
    tree.param.update(content=other.content, controls=other.controls)
    assert model.places.names == ["Japan"] and model.places.totals.tolist() == [2]
    tree.selection.choose([1], "tree")
    assert model.places.selected.tolist() == [1]
