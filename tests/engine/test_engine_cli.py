"""The command line (``python -m engine``).

Most runs call :func:`engine.cli.main` in this process (what ``python -m engine`` calls, minus the
start-up time); a few run the real program in a subprocess: one of each kind of success, the
error cases whose point is the absence of a traceback, and the 10,000-deep tree.

``tests/fixtures/profiles.tsv`` is made for these tests: 12 MLST profiles x 7 loci in three far
apart groups, plus one profile alone:

- STs 1, 2, 3 are pairwise one locus apart (every LV count equal). ``isolates.tsv`` names ST 3
  three times and the others once, so with isolates the frequency rule keeps 1-3 and 2-3; without
  isolates the id rule keeps 1-2 and 1-3 (spec/algorithms.md §2.4 c, d);
- ST 7 repeats ST 4 (one node, a distance-0 edge 4 -> 7); 5, 6, 8, 9 hang around 4;
- STs 10, 11 are one locus apart; ST 12 is 7 loci from everything (a singleton under lvs 3).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from paths import BAD_INPUTS, FIXTURES, ROOT

from engine.algorithms import registry
from engine.algorithms.distances import pairwise_distances
from engine.cli import main
from engine.io.coordinates import layout_record, layout_tsv
from engine.io.datasets import open_dataset
from engine.io.formats import TREE_FORMATS
from engine.io.json import from_json
from engine.io.newick import read_newick, to_newick
from engine.models import Inference
from engine.services.surveillance import CLUSTER_CODES

PROFILES = FIXTURES / "profiles.tsv"
ISOLATES = FIXTURES / "isolates.tsv"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m engine ARGS`` from the project root."""
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def ok(capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """``ok(*args)``: standard output of an in-process run of :func:`main` that must succeed."""

    def run(*args: str | Path) -> str:
        capsys.readouterr()
        status = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        assert status == 0, err
        return out

    return run


@pytest.fixture
def fails(capsys: pytest.CaptureFixture[str]) -> Callable[..., None]:
    """``fails(*args, message=...)``: an in-process run that must end with status 2 and ``message``."""

    def run(*args: str | Path, message: str) -> None:
        capsys.readouterr()
        status = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        assert status == 2, err
        assert out == ""
        # The read report may come first; the error is one last line.
        last = err.splitlines()[-1]
        assert last.startswith("error: ") and err.count("error: ") == 1, err
        assert message in last, err

    return run


def fails_in_subprocess(*args: str | Path, message: str) -> None:
    """The real program ends with status 2, ``message`` on standard error and no traceback."""
    run = cli(*args)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    assert message in run.stderr, run.stderr


def engine_inference(algorithm: str = "goeburst", isolates: bool = True, **parameters: object) -> Inference:
    """What the CLI should have computed, through the engine's own functions."""
    dataset = open_dataset(PROFILES, ISOLATES if isolates else None)
    return registry.infer(algorithm, dataset, {"missing": "difference", **parameters})


def edge_lines(text: str) -> list[tuple[str, str, int]]:
    rows = []
    for line in text.splitlines():
        parent, child, distance = line.split("\t")
        rows.append((parent, child, int(distance)))
    return rows


def unordered(edges: list[tuple[str, str, int]]) -> set[tuple[frozenset[str], int]]:
    return {(frozenset((a, b)), d) for a, b, d in edges}


# --------------------------------------------------------------------------------------------
# infer


def test_edges_are_tab_separated_parent_child_distance() -> None:
    run = cli("infer", PROFILES, "--isolates", ISOLATES, "-q")  # the real program
    assert (run.returncode, run.stderr) == (0, "")
    text = run.stdout
    assert text.endswith("\n")
    lines = text.splitlines()
    assert all(len(line.split("\t")) == 3 and line.split("\t")[2].isdigit() for line in lines)
    expected = [(e.parent, e.child, e.distance) for e in engine_inference().edges()]
    assert edge_lines(text) == expected
    # 12 rows in 4 trees ({1,2,3}, {4,...,9}, {10,11}, ST 12 alone): 8 edges, one of them 4 -> 7 d0.
    assert len(lines) == 8
    assert ("4", "7", 0) in edge_lines(text)


def test_isolates_change_the_tie_that_frequency_decides(ok: Callable[..., str]) -> None:
    with_isolates = unordered(edge_lines(ok("infer", PROFILES, "--isolates", ISOLATES, "-q")))
    assert {(frozenset(("1", "3")), 1), (frozenset(("2", "3")), 1)} <= with_isolates
    assert (frozenset(("1", "2")), 1) not in with_isolates
    without = unordered(edge_lines(ok("infer", PROFILES, "-q")))
    assert {(frozenset(("1", "2")), 1), (frozenset(("1", "3")), 1)} <= without
    assert (frozenset(("2", "3")), 1) not in without


def test_gzip_compressed_tables_give_the_same_tree_and_report(tmp_path: Path) -> None:
    # The .gz name is a convention only: the isolates go under a plain name, and are read as gzip too.
    profiles, isolates = tmp_path / "profiles.tsv.gz", tmp_path / "isolates.tsv"
    profiles.write_bytes(gzip.compress(PROFILES.read_bytes(), mtime=0))
    isolates.write_bytes(gzip.compress(ISOLATES.read_bytes(), mtime=0))
    compressed = cli("infer", profiles, "--isolates", isolates)
    plain = cli("infer", PROFILES, "--isolates", ISOLATES)
    assert compressed.returncode == plain.returncode == 0, compressed.stderr
    assert compressed.stdout == plain.stdout and compressed.stdout
    assert compressed.stderr == plain.stderr and "read 12 profiles x 7 loci" in compressed.stderr


def test_the_read_report_goes_to_standard_error() -> None:
    run = cli("infer", PROFILES, "--isolates", ISOLATES)
    assert run.returncode == 0
    assert "read 12 profiles x 7 loci, 0 missing cells" in run.stderr
    assert "read 14 isolates (0 without a known profile)" in run.stderr
    assert "1 group of identical profiles" in run.stderr
    assert "read" not in run.stdout
    assert cli("infer", PROFILES, "-q").stderr == ""


@pytest.mark.parametrize("fmt", list(TREE_FORMATS))
def test_every_tree_format_is_the_engine_writer_output(fmt: str, ok: Callable[..., str]) -> None:
    text = ok("infer", PROFILES, "--isolates", ISOLATES, "--format", fmt, "-q")
    expected = TREE_FORMATS[fmt].write(engine_inference())
    assert text == expected if expected.endswith("\n") else text == expected + "\n"


def test_newick_is_to_newick_of_the_inference(ok: Callable[..., str]) -> None:
    text = ok("infer", PROFILES, "--isolates", ISOLATES, "--format", "newick", "-q")
    inference = engine_inference()
    assert text.rstrip("\n") == to_newick(inference)
    # The Newick reader finds the same edges (singleton ST 12 has none).
    edges = [(e.parent, e.child, e.distance) for e in inference.edges()]
    assert sorted(read_newick(text)) == sorted(edges)


def test_json_and_graphml_parse(ok: Callable[..., str]) -> None:
    record = json.loads(ok("infer", PROFILES, "--format", "json", "-q", "--algorithm", "goeburst-full"))
    assert record["algorithm"] == "goeburst-full"
    assert len(record["edges"]) == 11  # a spanning tree of 11 distinct profiles + 1 identical edge
    expected = engine_inference("goeburst-full", isolates=False)
    assert from_json(record).total_distance == expected.total_distance
    graph = ET.fromstring(ok("infer", PROFILES, "--format", "graphml", "-q"))
    assert len([el for el in graph.iter() if el.tag.endswith("}node")]) == 12


def test_output_file(tmp_path: Path, ok: Callable[..., str]) -> None:
    target = tmp_path / "tree.nwk"
    assert ok("infer", PROFILES, "--format", "newick", "-q", "-o", target) == ""
    assert target.read_text(encoding="utf-8") == ok("infer", PROFILES, "--format", "newick", "-q")


def test_algorithm_lvs_and_missing_options(ok: Callable[..., str]) -> None:
    lvs1 = edge_lines(ok("infer", PROFILES, "--lvs", "1", "-q"))
    assert lvs1 == [(e.parent, e.child, e.distance) for e in engine_inference(isolates=False, lvs=1).edges()]
    assert max(d for _, _, d in lvs1) == 1
    full = edge_lines(ok("infer", PROFILES, "--algorithm", "goeburst-full", "--missing", "allele", "-q"))
    expected = engine_inference("goeburst-full", isolates=False, missing="allele")
    assert unordered(full) == unordered([(e.parent, e.child, e.distance) for e in expected.edges()])
    assert len(full) == 12 - 1  # one tree over the 12 rows


def test_missing_values_option(tmp_path: Path, ok: Callable[..., str]) -> None:
    # With "9" as the missing value, STs 10 and 11 are all-missing but for one locus: under
    # "difference" they are 7 loci apart from everything and stay alone at lvs 3.
    default = unordered(edge_lines(ok("infer", PROFILES, "-q")))
    assert (frozenset(("10", "11")), 1) in default
    nines = unordered(edge_lines(ok("infer", PROFILES, "-q", "--missing-values", "9, -")))
    assert not any("10" in pair or "11" in pair for pair, _ in nines)


# --------------------------------------------------------------------------------------------
# layout


@pytest.fixture(scope="module")
def inference_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "inference.json"
    run = cli("infer", PROFILES, "--isolates", ISOLATES, "--format", "json", "-q", "-o", path)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    return path


@pytest.mark.parametrize("algorithm", ["radial", "force"])
def test_layout_json(inference_json: Path, algorithm: str, ok: Callable[..., str]) -> None:
    seed = ["--seed", "4"] if algorithm == "force" else []
    record = json.loads(ok("layout", inference_json, "--algorithm", algorithm, *seed))
    inference = from_json(json.loads(inference_json.read_text(encoding="utf-8")))
    parameters = {"seed": 4, "iterations": 50} if algorithm == "force" else {}
    expected = json.loads(json.dumps(layout_record(registry.lay_out(algorithm, inference, parameters))))
    assert record == expected
    assert record["algorithm"] == algorithm
    assert {item["profile"] for item in record["coordinates"]} == set(inference.ids)
    assert {item["component"] for item in record["coordinates"]} == {1, 2, 3, 4}


def test_layout_tsv(inference_json: Path, tmp_path: Path, ok: Callable[..., str]) -> None:
    target = tmp_path / "coordinates.tsv"
    assert ok("layout", inference_json, "--format", "tsv", "-o", target) == ""
    text = target.read_text(encoding="utf-8")
    inference = from_json(json.loads(inference_json.read_text(encoding="utf-8")))
    assert text == layout_tsv(registry.lay_out("radial", inference))
    lines = text.splitlines()
    assert lines[0] == "profile\tcomponent\tx\ty"
    assert len(lines) == 1 + 12
    first = lines[1].split("\t")
    assert len(first) == 4 and float(first[2]) == 0.0 and float(first[3]) == 0.0  # a root at the origin


def test_force_layout_seed_is_reproducible(inference_json: Path, ok: Callable[..., str]) -> None:
    once = ok("layout", inference_json, "--algorithm", "force", "--seed", "9", "--iterations", "30")
    assert ok("layout", inference_json, "--algorithm", "force", "--seed", "9", "--iterations", "30") == once
    assert ok("layout", inference_json, "--algorithm", "force", "--seed", "10", "--iterations", "30") != once


# --------------------------------------------------------------------------------------------
# algorithms


def test_algorithms_text(ok: Callable[..., str]) -> None:
    text = ok("algorithms")
    for algorithm in registry.ALGORITHMS.values():
        assert f"{algorithm.name} ({algorithm.kind}): {algorithm.description}" in text
    assert "    lvs [>= 1], default 3:" in text
    assert "    missing [difference|ignore|allele], default difference:" in text


def test_algorithms_json(ok: Callable[..., str]) -> None:
    assert json.loads(ok("algorithms", "--json")) == json.loads(json.dumps(registry.describe()))


# --------------------------------------------------------------------------------------------
# errors: one line on standard error, exit status 2, no traceback


def test_missing_profile_file(tmp_path: Path, fails: Callable[..., None]) -> None:
    fails("infer", tmp_path / "nowhere.tsv", message="error: Cannot open")


def test_missing_isolates_file(tmp_path: Path, fails: Callable[..., None]) -> None:
    fails("infer", PROFILES, "--isolates", tmp_path / "nowhere.tsv", message="error: Cannot open")


@pytest.mark.parametrize(("name", "message"), [
    ("profiles_comma.csv", "seems to be comma-separated"),
    ("profiles_gzip_truncated.tsv.gz", "gzip-compressed but cut short"),
    ("profiles_header_only.tsv", "has a header but no profiles"),
    ("profiles_empty.tsv", "The profile file is empty."),
])
def test_bad_profile_file(name: str, message: str, fails: Callable[..., None]) -> None:
    fails("infer", BAD_INPUTS / name, message=message)


def test_bad_isolates_file(fails: Callable[..., None]) -> None:
    fails("infer", PROFILES, "--isolates", BAD_INPUTS / "isolates_no_st_column.tsv",
          message="error: line 1: The isolates file has no ST column (a header such as 'ST' or 'ST (MLST)')")


def test_bad_lvs(fails: Callable[..., None]) -> None:
    fails("infer", PROFILES, "--lvs", "0", message="error: lvs must be at least 1, not 0")


def test_unknown_isolates_column(fails: Callable[..., None]) -> None:
    fails("infer", PROFILES, "--isolates", ISOLATES, "--isolates-column", "serotype",
          message="error: line 1: The isolates file has no column named 'serotype'; its columns are")


def test_an_option_the_algorithm_does_not_take_is_refused(fails: Callable[..., None]) -> None:
    # The options come from the registry's parameter classes; goeburst-full uses every LV level.
    fails("infer", PROFILES, "--algorithm", "goeburst-full", "--lvs", "3",
          message="error: goeburst-full takes no parameter 'lvs'; it takes: missing")


@pytest.mark.parametrize(("args", "message"), [
    (["infer", "nowhere.tsv"], "error: Cannot open nowhere.tsv"),
    (["infer", str(PROFILES), "--lvs", "0"], "error: lvs must be at least 1, not 0"),
    (["infer", str(BAD_INPUTS / "profiles_comma.csv")], "seems to be comma-separated"),
    (["layout", str(PROFILES)], "error: cannot read the inference"),
])
def test_errors_in_the_real_program(args: list[str], message: str) -> None:
    fails_in_subprocess(*args, message=message)


def test_argument_errors_exit_2() -> None:
    # argparse's own errors: usage line, exit status 2, no traceback.
    cases = (["infer", PROFILES, "--format", "phylip"], ["infer", PROFILES, "--lvs", "three"], ["frobnicate"])
    for args in cases:
        run = cli(*args)
        assert run.returncode == 2 and "Traceback" not in run.stderr and "usage:" in run.stderr


@pytest.mark.parametrize(("content", "message"), [
    ("this is not json", "cannot read the inference"),
    ("[1, 2]", "does not hold an inference"),
    ('{"algorithm": "goeburst"}', "has no 'parameters'"),
    ('{"algorithm": "goeburst", "parameters": {}, "nodes": [{"id": "1", "count": 1}], "roots": ["9"], '
     '"edges": []}', "error: "),
])
def test_bad_layout_json(tmp_path: Path, content: str, message: str, fails: Callable[..., None]) -> None:
    path = tmp_path / "inference.json"
    path.write_text(content, encoding="utf-8")
    fails("layout", path, message=message)


def test_layout_of_a_missing_file(tmp_path: Path, fails: Callable[..., None]) -> None:
    fails("layout", tmp_path / "nowhere.json", message="cannot read the inference")


def test_layout_of_a_binary_file(tmp_path: Path, fails: Callable[..., None]) -> None:
    path = tmp_path / "inference.json"
    path.write_bytes(b"\xff\xfe\x00\x81")
    fails("layout", path, message="cannot read the inference")


# --------------------------------------------------------------------------------------------
# deep trees


def test_a_10000_deep_chain_writes_newick(tmp_path: Path) -> None:
    # Row i repeats row i-1 with one locus (i mod 7) set to a new allele i + 1: consecutive rows
    # are 1 apart, rows k < 7 apart are k apart, so the tree is the path 1 -> 2 -> ... -> 10000.
    rows = [[1] * 7]
    for i in range(1, 10_000):
        row = list(rows[-1])
        row[i % 7] = i + 1
        rows.append(row)
    path = tmp_path / "chain.tsv"
    header = "ST\t" + "\t".join(f"l{k}" for k in range(7)) + "\n"
    lines = [f"{i + 1}\t" + "\t".join(map(str, row)) + "\n" for i, row in enumerate(rows)]
    path.write_text(header + "".join(lines), encoding="utf-8")
    run = cli("infer", path, "--format", "newick", "-q")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "RecursionError" not in run.stderr and "Traceback" not in run.stderr
    text = run.stdout
    assert text.startswith("(" * 9999 + "10000:1)9999:1)")
    assert text.endswith(")2:1)1;\n")
    edges = read_newick(text)
    assert len(edges) == 9999
    assert set(edges) == {(str(i), str(i + 1), 1) for i in range(1, 10_000)}


# --------------------------------------------------------------------------------------------
# distances

CGMLST_DISTS = FIXTURES / "cgmlst_dists"


@pytest.mark.parametrize(("table", "options", "expected"), [
    ("calls.tab", [], "calls.expected.tsv"),
    ("calls.tab", ["--csv", "--matrix", "lower"], "calls.lower.csv"),
    ("calls.tab", ["--matrix", "upper", "--max-distance", "2"], "calls.upper-max2.tsv"),
    ("quirks.tab", [], "quirks.expected.tsv"),
    ("random.tab", [], "random.expected.tsv"),
])
def test_distances_are_byte_identical_to_cgmlst_dists(table: str, options: list[str], expected: str,
                                                      tmp_path: Path) -> None:
    # The expected tables are what cgmlst-dists 0.4.0 printed (fixtures/cgmlst_dists/README.md).
    out = tmp_path / "dists.tsv"
    run = cli("distances", CGMLST_DISTS / table, *options, "-o", out)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == (CGMLST_DISTS / expected).read_bytes()


def test_distances_under_a_goeburst_mode_are_the_engines_hamming_distances(tmp_path: Path) -> None:
    out = tmp_path / "dists.tsv"
    assert cli("distances", PROFILES, "--missing", "difference", "-o", out).returncode == 0
    lines = [line.split("\t") for line in out.read_text().splitlines()]
    dataset = open_dataset(PROFILES)
    assert lines[0] == ["cgmlst-dists", *dataset.profiles.ids]
    table = np.array([[int(cell) for cell in line[1:]] for line in lines[1:]])
    assert np.array_equal(table, pairwise_distances(dataset.profiles.matrix, "difference"))


def test_distances_refuse_what_cgmlst_dists_refuses(fails: Callable[..., None], tmp_path: Path) -> None:
    short = tmp_path / "short.tab"
    short.write_bytes(b"FILE\tg1\tg2\nA\t1\n")
    fails("distances", short,
          message="error: line 2: cgmlst-dists stops here: fewer than 5 characters follow")


@pytest.mark.parametrize("missing", ["cgmlst-dists", "difference"])
def test_distances_read_gzip_tables_as_their_text(ok: Callable[..., str], tmp_path: Path,
                                                  missing: str) -> None:
    compressed = tmp_path / "calls.tab.gz"
    compressed.write_bytes(gzip.compress((CGMLST_DISTS / "quirks.tab").read_bytes(), mtime=0))
    assert ok("distances", compressed, "--missing", missing) == ok("distances", CGMLST_DISTS / "quirks.tab",
                                                                   "--missing", missing)


def test_distances_refuse_a_cut_short_gzip_table(fails: Callable[..., None], tmp_path: Path) -> None:
    cut = tmp_path / "calls.tab.gz"
    cut.write_bytes(gzip.compress((CGMLST_DISTS / "calls.tab").read_bytes())[:-10])
    fails("distances", cut, message="error: The profile file is gzip-compressed but cut short")


def test_compile_runs_every_algorithm_once_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    ran = err.rstrip().split(": ", 1)[1].split(", ")
    # every algorithm of the registry, and the surveillance kernels (partitions: cluster-codes)
    assert err.startswith("ran ") and sorted(ran) == sorted([*registry.ALGORITHMS, CLUSTER_CODES])
