"""The command line, the REST API and the dashboard offer exactly the tree formats of the one table,
:data:`engine.io.formats.TREE_FORMATS`, and write each with the table's writer.

The exceptions are named here: the command line also writes the edge list (``EDGE_LIST``, its default
output), and the API answers ``json`` with the inference in PhyloDB's shape (edges and Newick).
"""

from __future__ import annotations

import argparse
import asyncio

from paths import FIXTURES

from api.handlers.results import FORMAT_NAMES
from api.openapi import openapi_document
from dashboard.tree.view import TreeView
from engine.algorithms import registry
from engine.cli import OUTPUT_FORMATS, build_parser
from engine.io.datasets import read_dataset
from engine.io.formats import EDGE_LIST, LAYOUT_FORMATS, TREE_FORMATS


def _format_choices(command: str) -> list[str]:
    """The ``--format`` choices of ``python -m engine COMMAND``, as argparse offers them."""
    subcommands = next(action for action in build_parser()._actions
                       if isinstance(action, argparse._SubParsersAction))
    parser = subcommands.choices[command]
    return list(next(action for action in parser._actions if action.dest == "format").choices)


def test_the_command_line_offers_the_table_and_its_edge_list() -> None:
    assert _format_choices("infer") == [EDGE_LIST.name, *TREE_FORMATS]
    assert {name: tree.write for name, tree in OUTPUT_FORMATS.items()} == {
        EDGE_LIST.name: EDGE_LIST.write, **{name: tree.write for name, tree in TREE_FORMATS.items()}}
    assert _format_choices("layout") == list(LAYOUT_FORMATS)


def test_the_api_and_its_description_offer_the_table() -> None:
    assert sorted(FORMAT_NAMES) == sorted(TREE_FORMATS)
    assert FORMAT_NAMES[0] == "json"  # the default comes first
    parameter = openapi_document("0")["components"]["parameters"]["format"]
    assert parameter["schema"]["enum"] == list(FORMAT_NAMES)
    assert parameter["schema"]["default"] == "json"


def test_the_dashboard_offers_a_download_of_each_format_of_the_table() -> None:
    dataset = read_dataset((FIXTURES / "profiles.tsv").read_bytes())
    inference = registry.infer("goeburst", dataset)
    view = TreeView(dataset, inference, registry.lay_out("radial", inference), title="tree")
    pictures_and_tables = {"Cluster TSV", "Partition TSV", "Placement TSV", "PNG", "SVG"}
    assert [label for label in view.downloads if label not in pictures_and_tables] == [
        tree.label for tree in TREE_FORMATS.values()]
    for tree in TREE_FORMATS.values():
        button = view.downloads[tree.label]
        assert button.filename == f"tree.{tree.extension}"
        assert asyncio.run(button.callback()).read().decode() == tree.write(inference)
