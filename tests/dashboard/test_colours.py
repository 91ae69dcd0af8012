"""Every colour the dashboard shows (dashboard/tree/colours.py): palettes, greys and the gradient."""

from __future__ import annotations

import doctest
import re

import numpy as np
from paths import DEMO

import dashboard.tree.colours
import dashboard.tree.geometry
from dashboard.tree.colours import (
    NO_VALUE_COLOUR,
    OTHER_COLOUR,
    PLAIN_FILL,
    coarse_fill,
    gradient,
    metadata_colours,
    palette,
    palette_for,
    plain_colours,
)
from engine.algorithms.metadata import NO_VALUE, OTHER, numeric_means
from engine.io.datasets import read_dataset


def test_palette():
    colours = palette(12)
    assert len(colours) == len(set(colours)) == 12
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in colours)
    assert colours[:2] == ["#1f77b3", "#ff7e0e"]  # Category10 first
    assert "#7e7e7e" not in palette(255)  # Glasbey's grey is kept for "other"
    assert len(palette(300)) == 300
    assert palette(0) == []


def test_palette_for_greys_other_and_missing():
    categories = ["Portugal", NO_VALUE, "Spain", OTHER]
    assert palette_for(categories) == [palette(2)[0], NO_VALUE_COLOUR, palette(2)[1], OTHER_COLOUR]
    assert (OTHER_COLOUR, NO_VALUE_COLOUR) == ("#bdbdbd", "#e0e0e0")


def test_gradient():
    colours = gradient(np.array([5.0, np.nan, 0.0, 10.0, 2.5]))
    assert colours[1] == NO_VALUE_COLOUR
    assert colours[2] == "#000c7c" and colours[3] == "#ffc71d"  # min dark blue, max orange
    assert len(set(colours)) == 5
    assert gradient(np.array([3.0, 3.0])) == [gradient(np.array([0.0, 1.0, 2.0]))[1]] * 2  # the middle
    assert gradient(np.array([np.nan])) == [NO_VALUE_COLOUR]
    assert gradient(np.zeros(0)) == []


def test_the_overview_snaps_a_numeric_colouring_to_its_colour_bar():
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    colours = metadata_colours(dataset, "year")
    scale = colours.scale
    means = numeric_means(dataset, "year")
    assert scale is not None and scale.colours[0] == colours.fill[np.nanargmin(means)]
    snapped = coarse_fill(colours)
    assert set(snapped) <= {*scale.colours, NO_VALUE_COLOUR} and len(set(scale.colours)) == len(scale.colours)
    stops = np.linspace(scale.low, scale.high, len(scale.colours))
    nearest = np.abs(means[:, None] - stops[None, :]).argmin(axis=1)
    finite = np.isfinite(means)
    assert snapped[finite].tolist() == np.asarray(scale.colours)[nearest[finite]].tolist()
    assert (snapped[~finite] == NO_VALUE_COLOUR).all()
    categorical = metadata_colours(dataset, "country")
    assert coarse_fill(categorical) is categorical.fill


def test_doctests():
    assert doctest.testmod(dashboard.tree.colours).failed == 0


def test_geometry_doctests():
    assert doctest.testmod(dashboard.tree.geometry).failed == 0


def test_nodes_of_one_colour_share_its_string():
    fill = plain_colours(6000).fill
    assert fill.dtype == object and fill.tolist() == [PLAIN_FILL] * 6000
    assert len({id(colour) for colour in fill}) == 1  # not 6,000 copies of it
