"""The table of file formats (engine/io/formats.py): each format's name, extension, media type and writer.

That the command line, the API and the dashboard offer exactly these formats is checked in
``tests/test_formats_offered.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tree_builders import make_inference

from engine.errors import ParameterError
from engine.io.coordinates import layout_record, layout_tsv
from engine.io.edges import edges_text
from engine.io.formats import EDGE_LIST, LAYOUT_FORMATS, TREE_FORMATS
from engine.io.graphml import to_graphml
from engine.io.json import to_json, to_json_text
from engine.io.newick import to_newick
from engine.io.nexus import to_nexus
from engine.models import Layout


def test_formats_table_writes_text():
    inference = make_inference("1234", [("1", "2", 2), ("2", "3", 3), ("2", "4", 4)])
    assert list(TREE_FORMATS) == ["newick", "nexus", "json", "graphml"]
    assert TREE_FORMATS["newick"].write(inference) == "((3:3,4:4)2:2)1;"
    assert TREE_FORMATS["nexus"].write(inference) == to_nexus(inference)
    assert json.loads(TREE_FORMATS["json"].write(inference)) == to_json(inference)
    assert TREE_FORMATS["graphml"].write(inference).startswith("<?xml")


def test_each_format_names_its_writer_extension_and_media_type():
    rows = [(f.name, f.extension, f.media_type, f.write, f.label) for f in TREE_FORMATS.values()]
    assert rows == [
        ("newick", "nwk", "text/plain", to_newick, "Newick"),
        ("nexus", "nex", "text/plain", to_nexus, "Nexus"),
        ("json", "json", "application/json", to_json_text, "JSON"),
        ("graphml", "graphml", "application/xml", to_graphml, "GraphML"),
    ]
    assert (EDGE_LIST.name, EDGE_LIST.extension, EDGE_LIST.write) == ("edges", "tsv", edges_text)
    assert EDGE_LIST.name not in TREE_FORMATS
    every = [*TREE_FORMATS.values(), EDGE_LIST]
    for key in ("name", "extension", "label"):
        values = [getattr(f, key) for f in every]
        assert len(set(values)) == len(values), key
    with pytest.raises(AttributeError):
        TREE_FORMATS["newick"].extension = "tre"  # type: ignore[misc]


def test_layout_formats_write_the_coordinates():
    layout = Layout(algorithm="radial", parameters={}, ids=["a", "b"], rows=np.array([0, 1]),
                    x=np.array([0.0, 1.5]), y=np.array([0.0, -2.0]), component=np.array([1, 1]))
    assert list(LAYOUT_FORMATS) == ["json", "tsv"]
    assert json.loads(LAYOUT_FORMATS["json"].write(layout)) == layout_record(layout)
    assert LAYOUT_FORMATS["tsv"].write(layout) == layout_tsv(layout)


def test_unknown_format_suggests_the_closest_name():
    with pytest.raises(ParameterError, match=r"unknown tree format 'nexsu' \(did you mean 'nexus'\?\); "
                                             r"choose one of: newick, nexus, json, graphml"):
        TREE_FORMATS["nexsu"]
    with pytest.raises(ParameterError, match=r"unknown tree format 'pdf'; choose one of"):
        TREE_FORMATS["pdf"]
    assert "pdf" not in TREE_FORMATS
    with pytest.raises(ParameterError, match=r"unknown layout format 'csv'"):
        LAYOUT_FORMATS["csv"]
