"""Surveillance in the dashboard's view models: add profiles as a version, compute cluster codes of the
open tree, open the partition (its names colour the tree, its changes are a table), and the profiles a
version added are one of the colourings."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from drive import act
from test_viewmodels import finished, signed_in, uploaded

import dashboard.viewmodels.placements
from dashboard.tree.colours import OTHER_COLOUR
from dashboard.viewmodels.naming import CHANGE_COLUMNS, changes_frame, named_labels, parse_thresholds
from dashboard.viewmodels.placements import PLACEMENT_COLUMNS, placement_profile_rows, placements_frame
from dashboard.viewmodels.tree import NEW_PROFILES, NO_COLOUR, PARTITION_CHOICE
from engine.services.root import Service

HEADER = b"ST\tadk\tfumC\tgyrB\ticd\tmdh\tpurA\trecA\n"
# 13 joins 1-2-3; 14 is far from everything.
ADDED = HEADER + b"13\t1\t1\t1\t1\t1\t1\t2\n14\t20\t20\t20\t20\t20\t20\t20\n"
ADDED_ISOLATES = b"isolate\tST\tcountry\tyear\nW1\t13\tES\t2026\nW2\t14\tPT\t2026\nW3\t1\tPT\t2026\n"


def test_named_labels_rank_clusters_by_size_then_name() -> None:
    labels, names = named_labels(["C2", "C1", "C2", None, "C1", "C3", None])
    assert names == ["C1", "C2", "C3", "(unnamed)", "(unnamed)"]
    assert labels.tolist() == [2, 1, 2, 4, 1, 3, 5]


def test_the_placement_view_models_docstring_examples() -> None:
    assert doctest.testmod(dashboard.viewmodels.placements).failed == 0


def test_thresholds_typed_by_a_user() -> None:
    assert parse_thresholds("5, 10 25,2.5") == [5, 10, 25, 2.5]
    for bad, message in (("5, ten", "'ten' is not a number"), ("-1", ">= 0"), ("inf", ">= 0")):
        with pytest.raises(ValueError, match=message):
            parse_thresholds(bad)
    assert changes_frame(None).columns.tolist() == CHANGE_COLUMNS


def test_add_profiles_partition_and_colour_by_names(service: Service) -> None:
    page = signed_in(service)
    first = uploaded(page)
    form, jobs, tree, upload, launcher = page.form, page.jobs, page.tree, page.upload, page.partitions

    act(launcher, launch=True)
    assert launcher.message == "**Open a tree first.**"
    act(form, launch=True)
    inference = finished(page, jobs.jobs[-1].id)
    act(jobs, job=inference.id, open=True)
    assert tree.content.naming is None and tree.content.new_rows is None and tree.content.placements is None
    act(launcher, thresholds="1, x", launch=True)
    assert launcher.message == "**'x' is not a number**"
    act(launcher, thresholds="3, 1", launch=True)
    assert launcher.message.startswith("Partition queued")
    partition = finished(page, jobs.jobs[-1].id)
    assert (partition.status, partition.analysis, partition.inference_id) == (
        "succeeded", "partition", inference.analysis_id)
    act(jobs, job=partition.id, open=True)
    assert tree.content.partition_id == partition.analysis_id
    choices = tree.controls.param.colour_by.objects
    assert choices[:3] == [NO_COLOUR, f"{PARTITION_CHOICE}1", f"{PARTITION_CHOICE}3"]
    tree.controls.colour_by = f"{PARTITION_CHOICE}1"
    colouring = tree.controls.colouring(tree.content.dataset, tree.content.inference)
    assert [e.label for e in colouring.colours.legend][:3] == ["C1", "C2", "C3"]  # 4..9, 1-2-3, 10-11
    assert colouring.table["cluster"].tolist()[:3] == ["C1", "C2", "C3"]
    assert changes_frame(tree.content.naming)["kind"].unique().tolist() == ["new"]

    # add profiles to the dataset: a version, its tree, its partition named from the first one
    act(page.projects, dataset=None)
    act(upload, add_profiles=True)
    assert upload.report.startswith("**Select the dataset to add profiles to first**")
    act(page.projects, dataset=first)
    act(upload, profiles=ADDED, isolates=ADDED_ISOLATES, add_profiles=True)
    assert "2 profiles" in upload.report and "3 isolates" in upload.report
    version = page.projects.datasets[-1]
    assert (version.parent_id, version.profile_count, version.isolate_count) == (first, 14, 17)
    assert page.projects.rows()["version of"].tolist() == ["", "fixture MLST"]
    act(form, dataset=version.id, launch=True)
    grown = finished(page, jobs.jobs[-1].id)
    act(jobs, job=grown.id, open=True)
    act(launcher, thresholds="1, 3", launch=True)
    again = finished(page, jobs.jobs[-1].id)
    act(jobs, job=again.id, open=True)
    naming = tree.content.naming
    assert tree.content.new_rows.tolist() == [False] * 12 + [True, True]
    names = dict(zip(naming.isolates, naming.names, strict=True))
    assert names["13"] == names["1"] == ["C2", "C2"] and names["14"] == ["C5", "C5"]
    changes = changes_frame(naming)
    assert changes[(changes["threshold"] == 1) & (changes["name"] == "C2")]["kind"].tolist() == ["grew"]
    # Where the new isolates landed: W1 (profile 13) one locus from E1's profile 1, in C2; W2 (14) far
    # from everything, founding C5; W3, a new isolate of the old profile 1, in C2 with E1.
    placed = tree.content.placements
    assert [(p.isolate, p.profile, p.distance) for p in placed] == [
        ("W1", "13", 1), ("W2", "14", 7), ("W3", "1", 0)]
    assert placed[0].nearest == (("E1", 1), ("E2", 2), ("E3", 2), ("E4", 2), ("E5", 2))
    frame = placements_frame(placed, naming.thresholds)
    assert frame.columns.tolist() == [*PLACEMENT_COLUMNS, "cluster at 1", "cluster at 3"]
    assert frame["cluster at 1"].tolist() == ["C2", "C5 (new cluster)", "C2"]
    assert frame["nearest old isolates"][2] == "E1:0, E2:1, E3:1, E4:1, E5:1"
    assert placement_profile_rows(tree.content.dataset.profiles, placed, [1, 2]) == [0, 13]
    assert tree.controls.placements == placed

    assert tree.controls.param.colour_by.objects[1] == NEW_PROFILES
    tree.controls.colour_by = NEW_PROFILES
    colours = tree.controls.colouring(tree.content.dataset, tree.content.inference).colours
    assert [(e.label, e.profiles) for e in colours.legend] == [("new in this version", 2),
                                                              ("in the earlier version", 12)]
    assert (colours.fill[:12] == OTHER_COLOUR).all() and not np.isin(colours.fill[12:], [OTHER_COLOUR]).any()
