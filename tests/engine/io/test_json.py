"""Tree JSON (engine/io/json.py): to_json and from_json, and the standard library's json left alone."""

from __future__ import annotations

import json
import json as stdlib_json

import numpy as np
import pytest
from tree_builders import make_inference, random_forest

from engine.errors import InputError
from engine.io.json import from_json, to_json
from engine.models import Inference


def test_json_round_trip():
    inference = make_inference("12345", [("1", "2", 1, "distance"), ("1", "3", 1, "lv1"),
                                         ("2", "4", 2, "frequency"), ("4", "5", 0, "identical")],
                               roots=["1"])
    data = json.loads(json.dumps(to_json(inference)))
    assert data == {
        "algorithm": "goeburst",
        "parameters": {"lvs": 3},
        "nodes": [{"id": label, "count": 1} for label in "12345"],
        "roots": ["1"],
        "edges": [{"from": "1", "to": "2", "distance": 1, "rule": "distance"},
                  {"from": "1", "to": "3", "distance": 1, "rule": "lv1"},
                  {"from": "2", "to": "4", "distance": 2, "rule": "frequency"},
                  {"from": "4", "to": "5", "distance": 0, "rule": "identical"}],
    }
    back = from_json(data)
    assert back.ids == inference.ids
    assert back.algorithm == inference.algorithm
    assert back.parameters == inference.parameters
    for name in ("parents", "children", "distances", "rules", "roots", "counts"):
        np.testing.assert_array_equal(getattr(back, name), getattr(inference, name))
        assert getattr(back, name).dtype == np.int64
    assert to_json(back) == data


def test_json_round_trip_of_forest_with_singletons_and_numpy_parameters():
    inference = random_forest(50, trees=3, seed=4)
    inference = Inference(**{**inference.__dict__,
                             "parameters": {"lvs": np.int64(2), "missing": ("-", "0")},
                             "counts": np.arange(50, dtype=np.int64)})
    data = to_json(inference)
    assert data["parameters"] == {"lvs": 2, "missing": ["-", "0"]}
    assert to_json(from_json(json.loads(json.dumps(data)))) == data


def _inference_data(**changes: object) -> dict:
    data = {"algorithm": "goeburst", "parameters": {},
            "nodes": [{"id": "1", "count": 1}, {"id": "2", "count": 1}, {"id": "3", "count": 1}],
            "roots": ["1"],
            "edges": [{"from": "1", "to": "2", "distance": 1, "rule": "distance"},
                      {"from": "2", "to": "3", "distance": 1, "rule": "distance"}]}
    data.update(changes)
    return data


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be a JSON object, not list"),
    ({"algorithm": "goeburst"}, "the inference has no 'parameters'"),
    (_inference_data(nodes={}), "'nodes' must be list, not dict"),
    (_inference_data(algorithm=3), "'algorithm' must be str, not int"),
    (_inference_data(nodes=["1"]), "node 1 must be an object"),
    (_inference_data(nodes=[{"id": 1, "count": 1}]), "node 1: 'id' must be str, not int"),
    (_inference_data(nodes=[{"id": "1", "count": True}]), "node 1: 'count' must be int, not bool"),
    (_inference_data(nodes=[{"id": "1", "count": -1}]), "node 1: count must not be negative"),
    (_inference_data(nodes=[{"id": "1", "count": 1}, {"id": "1", "count": 1}]),
     "node 2: id '1' is used twice"),
    (_inference_data(roots=["9"]), "root 1 refers to '9', which is not a node id"),
    (_inference_data(edges=[{"from": "1", "to": "9", "distance": 1, "rule": "distance"}]),
     "edge 1 refers to '9', which is not a node id"),
    (_inference_data(edges=[{"from": "1", "to": "2", "rule": "distance"}]), "edge 1 has no 'distance'"),
    (_inference_data(edges=[{"from": "1", "to": "2", "distance": 1.0, "rule": "distance"}]),
     "edge 1: 'distance' must be int, not float"),
    (_inference_data(edges=[{"from": "1", "to": "2", "distance": -2, "rule": "distance"}]),
     "edge 1: distance must not be negative"),
    (_inference_data(edges=[{"from": "1", "to": "2", "distance": 1, "rule": "lv0"}]),
     "edge 1: unknown rule 'lv0'"),
    (_inference_data(edges=[("1", "2")]), "edge 1 must be an object"),
    (_inference_data(edges=[{"from": "1", "to": "3", "distance": 1, "rule": "distance"},
                            {"from": "2", "to": "3", "distance": 1, "rule": "distance"}], roots=["1", "2"]),
     "profile '3' has 2 parents"),
    (_inference_data(roots=["1", "2"]), "root '2' is the child of an edge"),
    (_inference_data(roots=["1", "1"]), "root '1' is listed twice"),
    (_inference_data(roots=[]), "profile '1' has no parent but is not listed among the roots"),
    (_inference_data(edges=[{"from": "2", "to": "3", "distance": 1, "rule": "distance"},
                            {"from": "3", "to": "2", "distance": 1, "rule": "distance"}]),
     "the edges form a cycle through profile '2'"),
])
def test_from_json_rejects_bad_data(data, message):
    with pytest.raises(InputError, match=message):
        from_json(data)


def test_the_standard_library_json_is_not_shadowed():
    # engine/io/json.py is engine.io.json: "import json" in it and in its sibling modules is the stdlib's.
    import engine.io.coordinates

    assert json.dumps is stdlib_json.dumps and json.__name__ == "json"
    assert engine.io.json.json is stdlib_json
    assert engine.io.coordinates.json is stdlib_json
    assert engine.io.json.__name__ == "engine.io.json"
