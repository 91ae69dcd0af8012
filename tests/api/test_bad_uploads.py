"""Malformed uploads through the real HTTP API: a 400 naming the line and the reason (or a 413), nothing
stored, the server still answering.

The corpus is ``tests/bad_inputs/`` with the expectations of tests/engine/io/test_bad_inputs.py (the API's
``detail`` is the reader's sentence, after ``line N: `` when there is a line), plus two tables of
100,000 columns made here. ``profiles_*`` files are uploaded as the profiles (``profiles_snp_*`` with
``kind=snp``), ``isolates_*`` files as the isolates of three good profiles.

A 300 MB upload is streamed from a generator to the real server (``make serve``, upload limit set to
200 MB): it is refused with 413 from its Content-Length, the server closes the connection so the
client cannot send more than the sockets' buffers, and the server's peak memory (``VmHWM`` of the panel
process) does not grow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import ApiTestCase, multipart
from bad_input_expectations import EXPECTED
from live_server import Client, LiveServer, peak_memory, stream_post
from paths import BAD_INPUTS

#: Three profiles that the isolates files of the corpus join to.
PROFILES = b"ST\taroC\tdnaN\n1\t1\t1\n2\t1\t2\n3\t2\t2\n"
WIDE = 100_000
MB = 2**20


def wide_files() -> dict[str, tuple[bytes, str, int]]:
    """Tables of 100,000 columns: ``name -> (content, words of the detail, line)``."""
    loci = b"\t".join(b"locus%d" % locus for locus in range(WIDE))
    alleles = b"\t".join([b"1"] * WIDE)
    return {
        "profiles_wide_header.tsv": (
            b"ST\t" + loci + b"\n1\t1\t2\n2\t2\t1\n",
            f"2 of 2 rows cannot be used (line 2 has 3 columns where the header has {WIDE + 1})", 2),
        "profiles_wide_rows.tsv": (
            b"ST\taroC\tdnaN\n1\t" + alleles + b"\n2\t" + alleles + b"\n",
            f"2 of 2 rows cannot be used (line 2 has {WIDE + 1} columns where the header has 3)", 2),
    }


def corpus() -> dict[str, tuple[bytes, str, int | None]]:
    """Every bad upload: ``name -> (content, words the detail must hold, line or None)``."""
    files = {name: ((BAD_INPUTS / name).read_bytes(), *EXPECTED[name]) for name in sorted(EXPECTED)}
    return {**files, **wide_files()}


class BadUploads(ApiTestCase):
    """The corpus against a real service (TinyDB in a temporary folder) behind the API's routes."""

    def stored(self) -> list[str]:
        """The files of the data folder (lock files aside)."""
        return sorted(str(path.relative_to(self.folder)) for path in self.folder.rglob("*")
                      if not path.name.endswith(".lock"))

    def all_datasets(self) -> dict[str, list[str]]:
        """The ids of every project's datasets."""
        return {project["id"]: [dataset["id"] for dataset in
                                self.json("GET", f"/projects/{project['id']}/datasets")]
                for project in self.json("GET", "/projects")}

    def send_bad(self, project: str, name: str, data: bytes) -> dict[str, str]:
        """Upload corpus file ``name`` (as profiles, or as isolates of three good profiles); the problem."""
        if name.startswith("isolates_"):
            return self.upload(project, PROFILES, data, expect=400)
        kind = "snp" if name.startswith("profiles_snp_") else "auto"
        return self.upload(project, data, expect=400, kind=kind)

    def test_every_bad_file_is_a_400_naming_line_and_reason_and_nothing_is_stored(self) -> None:
        project = self.project()
        files = corpus()
        assert len(files) >= 20
        datasets, stored = self.all_datasets(), self.stored()
        for name, (data, words, line) in files.items():
            with self.subTest(name):
                problem = self.send_bad(project, name, data)
                assert problem["message"] == "bad_request", problem
                detail = problem["detail"]
                assert words in detail, detail
                assert detail.startswith(f"line {line}: ") if line else not detail.startswith("line ")
                assert detail.endswith((".", ")")) and "Traceback" not in detail
        assert self.all_datasets() == datasets
        assert self.stored() == stored
        assert self.json("GET", "/health")["status"] == "ok"
        # and the server still takes a good upload
        assert self.upload(project, PROFILES)["profiles"] == 3

    def test_bad_profiles_added_to_a_dataset_get_the_uploads_answer_and_store_nothing(self) -> None:
        project = self.project()
        parent = self.upload(project, PROFILES)["id"]
        datasets, stored = self.all_datasets(), self.stored()
        for name, (data, _words, _line) in corpus().items():
            if not name.startswith("profiles_") or name.startswith("profiles_snp_"):
                continue  # a version is read with its dataset's kind (MLST here) and isolate table (none)
            with self.subTest(name):
                upload = self.upload(project, data, expect=400)
                files, content_type = multipart({"profiles": ("added.tsv", data)}, {})
                version = self.json("POST", f"/projects/{project}/datasets/{parent}/versions", raw=files,
                                    headers={"Content-Type": content_type}, expect=400)
                assert version == upload
        assert self.all_datasets() == datasets
        assert self.stored() == stored

    def test_formula_and_markup_details_name_line_column_and_reason(self) -> None:
        project = self.project()
        for name, column in [("isolates_formula_cmd.tsv", "Column 2 ('country')"),
                             ("profiles_markup_id.tsv", "Column 1 ('ST')")]:
            data = (BAD_INPUTS / name).read_bytes()
            detail = self.send_bad(project, name, data)["detail"]
            assert column in detail and "upload the file again" in detail
            assert ("spreadsheet formula" in detail) != ("HTML markup" in detail)
        assert self.json("GET", f"/projects/{project}/datasets") == []


# --- 300 MB against the real server --------------------------------------------------------------


def upload_body(size: int) -> tuple[str, Iterator[bytes]]:
    """The Content-Type and the chunks of a multipart upload of exactly ``size`` bytes, a profile table of
    identical rows: made 1 MiB at a time as it is sent, never held whole."""
    marker = b"<rows>"
    data, content_type = multipart({"profiles": ("big.tsv", b"ST\taroC\tdnaN\n" + marker)}, {"name": "big"})
    head, tail = data.split(marker)
    row = b"1\t1\t1\n"
    block = row * (MB // len(row))
    blocks, rest = divmod(size - len(head) - len(tail), len(block))

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(blocks):
            yield block
        yield b"\n" * rest
        yield tail

    return content_type, chunks()


def test_a_300_mb_upload_is_413_without_the_server_reading_or_keeping_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHYLODASH_UPLOAD_LIMIT_MB", "200")  # below 300 MB, whatever the caller's setting
    server = LiveServer(tmp_path / "data", tmp_path / "server.log")
    try:
        client = Client(server.url, server.token())
        body = {"name": "Big", "description": "", "visibility": "private", "users": []}
        project = client.json("POST", "/projects", body, expect=201)["id"]
        pid = server.panel_pid()
        peak = peak_memory(pid)
        size = 300 * MB
        content_type, chunks = upload_body(size)
        headers = {"Authorization": f"Bearer {client.token}", "Content-Length": str(size),
                   "Content-Type": content_type}
        status, problem, sent = stream_post(server.port, f"/projects/{project}/datasets", headers, chunks)
        assert (status, problem["message"]) == (413, "payload_too_large"), problem
        assert "larger than the limit of 200 MB" in problem["detail"]
        # The server closed the connection: no more than the sockets' buffers went out.
        assert sent < 50 * MB, sent
        assert peak_memory(pid) - peak < 50 * MB, (peak, peak_memory(pid))
        assert client.json("GET", "/health")["status"] == "ok"
        assert client.json("GET", f"/projects/{project}/datasets") == []
    finally:
        server.stop()
