"""Tests of api/upload.py: a multipart/form-data body parsed piece by piece, its files spooled to
unnamed temporary files, its wanted fields kept, its problems a 400 with a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_server import multipart

from api.problems import Problem
from api.upload import FIELD_LIMIT, SpooledForm

FILES, FIELDS = ("profiles", "isolates"), ("name", "kind")
PROFILES = b"ST\taroC\tdnaN\n1\t1\t1\n2\t1\t2\n"


def parse(body: bytes, content_type: str, folder: Path, piece: int = 1 << 20) -> SpooledForm:
    """``body`` written to a new form ``piece`` bytes at a time."""
    form = SpooledForm(content_type, FILES, FIELDS, folder)
    for start in range(0, len(body), piece):
        form.write(body[start:start + piece])
    return form


def contents(form: SpooledForm) -> tuple[dict[str, tuple[str, bytes]], dict[str, bytes]]:
    files, fields = form.result()
    return {name: (spooled.filename, spooled.handle.read()) for name, spooled in files.items()}, fields


def test_the_parts_read_the_same_whatever_the_pieces(tmp_path: Path) -> None:
    body, content_type = multipart({"profiles": ("p.tsv", PROFILES + b"\r\n--not the boundary\r\n"),
                                    "isolates": ("i.tsv", b"")}, {"name": "Outbreak", "other": "x"})
    expected = ({"profiles": ("p.tsv", PROFILES + b"\r\n--not the boundary\r\n"), "isolates": ("i.tsv", b"")},
                {"name": b"Outbreak"})
    for piece in (1, 2, 3, 7, 64, len(body)):
        form = parse(body, content_type, tmp_path, piece)
        assert contents(form) == expected, piece
        form.discard()
    assert not list(tmp_path.iterdir())  # the files never had a name


def test_only_the_first_part_of_a_name_and_the_wanted_parts_are_kept(tmp_path: Path) -> None:
    boundary = "b0undary"
    parts = [("profiles", "a.tsv", b"first"), ("profiles", "b.tsv", b"second"), ("name", None, b"one"),
             ("name", None, b"two"), ("secret", "s.bin", b"x" * 1000), ("kind", None, b"mlst")]
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        f'{f"; filename={filename!r}".replace(chr(39), chr(34)) if filename else ""}\r\n\r\n'.encode()
        + value + b"\r\n" for name, filename, value in parts) + f"--{boundary}--\r\n".encode()
    form = parse(body, f"multipart/form-data; boundary={boundary}", tmp_path, 5)
    assert contents(form) == ({"profiles": ("a.tsv", b"first")}, {"name": b"one", "kind": b"mlst"})


def test_a_utf8_name_and_file_name_are_read_as_utf8(tmp_path: Path) -> None:
    body = ('--b\r\nContent-Disposition: form-data; name="profiles"; filename="São Paulo.tsv"\r\n\r\n'
            '1\r\n--b\r\nContent-Disposition: form-data; name="名前"\r\n\r\nx\r\n--b--\r\n').encode()
    form = parse(body, "multipart/form-data; boundary=b", tmp_path)
    assert contents(form) == ({"profiles": ("São Paulo.tsv", b"1")}, {})


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n", "multipart/form-data; boundary=b",
     "it ends before its final boundary"),
    (b"--b--\r\n", "multipart/form-data", "the Content-Type names no boundary"),
    (b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b",
     "a part has no Content-Disposition 'form-data' with a name"),
    (b"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--\r\n",
     "multipart/form-data; boundary=b", "a part has no Content-Disposition 'form-data' with a name"),
    (b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" + b"x" * (FIELD_LIMIT + 1)
     + b"\r\n--b--\r\n", "multipart/form-data; boundary=b", "the field 'name' is longer than 1 MB"),
    (b"--c\r\n", "multipart/form-data; boundary=b", "Expected boundary character"),
])
def test_a_malformed_body_is_a_400_and_keeps_no_file(tmp_path: Path, body: bytes, content_type: str,
                                                      reason: str) -> None:
    form = parse(b'--b\r\nContent-Disposition: form-data; name="profiles"; filename="p"\r\n\r\n123'
                 if reason == "it ends before its final boundary" else b"", content_type, tmp_path)
    form.write(body)
    with pytest.raises(Problem) as problem:
        form.result()
    assert problem.value.status == 400
    assert problem.value.detail.startswith("the multipart/form-data body is malformed: ")
    assert reason in problem.value.detail
    assert form.files == {}


def test_after_discard_the_files_are_closed_and_pieces_ignored(tmp_path: Path) -> None:
    body, content_type = multipart({"profiles": ("p.tsv", PROFILES)}, {})
    half = body.index(PROFILES) + 5
    form = parse(body[:half], content_type, tmp_path)
    [spooled] = form.files.values()
    form.discard()
    form.discard()
    assert spooled.handle.closed
    form.write(body[half:])
    assert form.files == {}


def test_a_full_disk_is_the_servers_error_and_keeps_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    body, content_type = multipart({"profiles": ("p.tsv", PROFILES)}, {})
    form = SpooledForm(content_type, FILES, FIELDS, tmp_path)
    form.write(body[:body.index(PROFILES)])  # up to the file's first byte: its temporary file is open
    [spooled] = form.files.values()

    def full(data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spooled.handle, "write", full, raising=False)
    form.write(body[body.index(PROFILES):])
    with pytest.raises(OSError, match="No space left"):
        form.result()
    assert form.files == {}
