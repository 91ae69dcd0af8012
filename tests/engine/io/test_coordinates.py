"""The coordinates of a layout (engine/io/coordinates.py), as JSON records and as a TSV table."""

from __future__ import annotations

import json

import numpy as np

from engine.io.coordinates import layout_json, layout_record, layout_tsv
from engine.models import Layout

LAYOUT = Layout(algorithm="force", parameters={"seed": 1}, ids=["a", "b", "c"], rows=np.array([2, 0, 1]),
                x=np.array([0.5, -1.0, 2.0]), y=np.array([0.0, 3.25, -0.1]), component=np.array([2, 1, 1]))


def test_record_lists_the_nodes_in_layout_order():
    assert layout_record(LAYOUT) == {
        "algorithm": "force",
        "parameters": {"seed": 1},
        "coordinates": [{"profile": "c", "component": 2, "x": 0.5, "y": 0.0},
                        {"profile": "a", "component": 1, "x": -1.0, "y": 3.25},
                        {"profile": "b", "component": 1, "x": 2.0, "y": -0.1}],
    }
    assert json.loads(layout_json(LAYOUT)) == layout_record(LAYOUT)
    assert "\n" not in layout_json(LAYOUT)


def test_tsv_has_a_header_and_exact_floats():
    assert layout_tsv(LAYOUT) == ("profile\tcomponent\tx\ty\n"
                                  "c\t2\t0.5\t0.0\na\t1\t-1.0\t3.25\nb\t1\t2.0\t-0.1\n")
