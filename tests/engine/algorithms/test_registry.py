"""The algorithm table (engine/algorithms/registry.py): names, kinds, parameter classes, checks and runs."""

from __future__ import annotations

import json

import numpy as np
import param
import pytest

from engine.algorithms import registry
from engine.algorithms.parameters import AlgorithmParameters, check_value, check_values
from engine.algorithms.registry import ALGORITHMS, INFERENCE, VISUALIZATION
from engine.errors import CancelledError, ParameterError
from engine.io.datasets import read_dataset
from engine.models import Dataset, Inference, Layout

# Four profiles: "1"-"2" and "2"-"3" one locus apart, "4" three loci from everything.
DATA = b"ST\ta\tb\tc\n1\t1\t1\t1\n2\t1\t1\t2\n3\t1\t2\t2\n4\t9\t9\t9\n"


def small() -> Dataset:
    return read_dataset(DATA)


class Example(AlgorithmParameters):
    """Options of a made-up algorithm, for the checks below."""

    lvs = param.Integer(3, bounds=(1, 10), doc="level")
    missing = param.Selector(objects=["difference", "ignore", "allele"], default="difference", doc="mode")
    n = param.Integer(None, allow_None=True, doc="no bounds")


LVS, MODE = Example.param.lvs, Example.param.missing


INFERENCES = ["goeburst", "goeburst-full", "mstree-v2", "mstree", "nj", "upgma", "wpgma", "single-linkage",
              "complete-linkage"]
LAYOUTS = ["radial", "grapetree", "force", "equal-angle", "rectangular"]


def test_the_algorithms_and_their_kinds() -> None:
    # The names are fixed: the CLI's --algorithm, the jobs API's algorithm and /algorithms use them.
    assert {name: algorithm.kind for name, algorithm in ALGORITHMS.items()} == {
        **{name: INFERENCE for name in INFERENCES}, **{name: VISUALIZATION for name in LAYOUTS}}
    assert registry.names(INFERENCE) == INFERENCES
    assert registry.names(VISUALIZATION) == LAYOUTS
    for name, algorithm in ALGORITHMS.items():
        assert algorithm.name == name
        assert algorithm.description and algorithm.version


def test_parameters_and_defaults() -> None:
    assert ALGORITHMS["goeburst"].check() == {"lvs": 3, "missing": "difference"}
    assert ALGORITHMS["goeburst-full"].check() == {"missing": "difference"}
    assert ALGORITHMS["radial"].check() == {}
    assert ALGORITHMS["force"].check({"seed": "7"}) == {"seed": 7, "iterations": 50, "start": "radial"}


def test_describe_is_json_ready() -> None:
    described = json.loads(json.dumps(registry.describe()))
    by_name = {entry["name"]: entry for entry in described}
    assert list(by_name) == INFERENCES + LAYOUTS
    lvs, missing = by_name["goeburst"]["parameters"]
    assert lvs == {"name": "lvs", "type": "integer", "default": 3, "description": lvs["description"],
                   "minimum": 1, "maximum": 65535}
    assert missing["type"] == "string"
    assert missing["choices"] == ["difference", "ignore", "allele"]
    assert by_name["radial"]["parameters"] == []


# --------------------------------------------------------------------------------------------
# Parameter.check


@pytest.mark.parametrize(
    ("value", "expected"), [(3, 3), (1, 1), (10, 10), ("3", 3), (" 4 ", 4), ("+5", 5), (2.0, 2)]
)
def test_integers_and_integer_text_are_accepted(value: object, expected: int) -> None:
    assert check_value(LVS, value) == expected
    assert type(check_value(LVS, value)) is int


@pytest.mark.parametrize(("value", "message"), [
    (0, "lvs must be at least 1, not 0"),
    ("0", "lvs must be at least 1, not 0"),
    (-2, "lvs must be at least 1, not -2"),
    (11, "lvs must be at most 10, not 11"),
    ("11", "lvs must be at most 10, not 11"),
])
def test_integer_bounds(value: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        check_value(LVS, value)


@pytest.mark.parametrize("value", [True, False, 2.5, "2.5", "three", "", None, [3], "3a"])
def test_non_integers_are_refused(value: object) -> None:
    with pytest.raises(ParameterError, match="lvs must be a whole number"):
        check_value(LVS, value)


def test_choices() -> None:
    assert check_value(MODE, "ignore") == "ignore"
    with pytest.raises(ParameterError, match="missing must be one of difference, ignore, allele, not 'skip'"):
        check_value(MODE, "skip")
    with pytest.raises(ParameterError, match="missing must be text, not int"):
        check_value(MODE, 1)


def test_unbounded_integer_parameter() -> None:
    free = Example.param.n
    assert check_value(free, -5) == -5 and check_value(free, 10**9) == 10**9
    assert check_values(Example, {"n": 4}, "example") == {"lvs": 3, "missing": "difference", "n": 4}


def test_every_algorithm_has_a_documented_parameter_class() -> None:
    for algorithm in ALGORITHMS.values():
        assert issubclass(algorithm.parameters, AlgorithmParameters), algorithm.name
        for name, parameter in algorithm.parameters.param.objects().items():
            assert name == "name" or parameter.doc, (algorithm.name, name)


def test_algorithm_check_fills_defaults_and_checks_values() -> None:
    assert ALGORITHMS["goeburst"].check({"lvs": "7", "missing": "allele"}) == {"lvs": 7, "missing": "allele"}
    with pytest.raises(ParameterError, match="lvs must be at least 1, not 0"):
        ALGORITHMS["goeburst"].check({"lvs": 0})
    with pytest.raises(ParameterError, match="missing must be one of"):
        ALGORITHMS["goeburst-full"].check({"missing": "none"})


def test_unknown_parameter() -> None:
    with pytest.raises(ParameterError, match="goeburst takes no parameter 'depth'; it takes: lvs, missing"):
        ALGORITHMS["goeburst"].check({"depth": 2})
    with pytest.raises(ParameterError, match="radial takes no parameter 'seed'; it takes: none"):
        ALGORITHMS["radial"].check({"seed": 1})


# --------------------------------------------------------------------------------------------
# lookups


def test_unknown_algorithm_suggests_the_closest_name() -> None:
    with pytest.raises(ParameterError, match=r"unknown algorithm 'goebrust' \(did you mean 'goeburst'\?\)"):
        registry.get("goebrust")
    with pytest.raises(ParameterError, match="did you mean 'radial'"):
        registry.infer("radail", small())
    with pytest.raises(ParameterError, match=f"choose one of: {', '.join(ALGORITHMS)}$"):
        registry.get("mst")


def test_wrong_kind() -> None:
    assert registry.get("radial", VISUALIZATION).name == "radial"
    with pytest.raises(ParameterError, match="'radial' is not an inference algorithm; choose one of: goeb"):
        registry.infer("radial", small())
    inference = registry.infer("goeburst", small())
    with pytest.raises(ParameterError, match="'goeburst' is not an visualization algorithm"):
        registry.lay_out("goeburst", inference)


# --------------------------------------------------------------------------------------------
# runs


def test_infer_runs_with_checked_parameters() -> None:
    result = registry.infer("goeburst", small(), {"lvs": "1"})
    assert isinstance(result, Inference)
    assert result.parameters == {"lvs": 1, "missing": "difference"}
    assert {(e.parent, e.child, e.distance) for e in result.edges()} == {("1", "2", 1), ("2", "3", 1)}
    assert [result.ids[r] for r in result.roots] == ["1", "4"]
    # The default lvs (3) links "4" too (3 loci from every other profile).
    assert len(registry.infer("goeburst", small()).children) == 3


def test_infer_full_neither_takes_nor_records_lvs() -> None:
    result = registry.infer("goeburst-full", small())
    assert result.algorithm == "goeburst-full"
    assert result.parameters == {"missing": "difference"}
    with pytest.raises(ParameterError, match="goeburst-full takes no parameter 'lvs'; it takes: missing"):
        registry.infer("goeburst-full", small(), {"lvs": 2})
    assert len(result.children) == 3


def test_infer_passes_progress_and_cancel() -> None:
    values: list[float] = []
    registry.infer("goeburst", small(), progress=values.append)
    assert values[-1] == 1.0
    with pytest.raises(CancelledError, match="cancelled"):
        registry.infer("goeburst", small(), cancel=lambda: True)


def test_infer_refuses_bad_parameters_before_running() -> None:
    with pytest.raises(ParameterError, match="lvs must be at least 1"):
        registry.infer("goeburst", small(), {"lvs": 0})


def test_lay_out_runs() -> None:
    inference = registry.infer("goeburst", small(), {"lvs": 1})
    radial = registry.lay_out("radial", inference)
    assert isinstance(radial, Layout)
    assert radial.algorithm == "radial"
    # The chain 1 -> 2 -> 3 (d 1 each) from the origin at angle pi, 100 * 1 + 10 per edge
    # (spec/algorithms.md §4); "4" is a component of its own at the origin.
    assert radial.rows.tolist() == [0, 1, 2, 3]
    assert radial.component.tolist() == [1, 1, 1, 2]
    assert np.allclose(radial.x, [0, -110, -220, 0]) and np.allclose(radial.y, 0, atol=1e-9)
    force = registry.lay_out("force", inference, {"seed": 3, "iterations": "20"})
    assert force.parameters == {"seed": 3, "iterations": 20, "start": "radial"}
    again = registry.lay_out("force", inference, {"seed": 3, "iterations": 20})
    assert np.array_equal(force.x, again.x) and np.array_equal(force.y, again.y)
    with pytest.raises(ParameterError, match="iterations must be at least 1"):
        registry.lay_out("force", inference, {"iterations": 0})
