"""Uploads streamed to the real server (``make serve``, upload limit 32 MB): the body is parsed as it
comes and its files spooled to unnamed files in the data folder's ``uploads`` folder, never held whole.

- A gzip-compressed cgMLST table sent in odd-sized chunks without a length (``Transfer-Encoding:
  chunked``) gives the dataset an upload of the text in one piece gives: same answer, same profiles.
  While it is sent, the server holds a spooled file; once it answered, none.
- A body past the limit is a 413 and stores nothing; a bad file is the reader's 400 with its line.
- A bad token, or a user who may only read the project, is refused before the body is read: the
  client cannot send more than the sockets' buffers, far less than the limit.
- A client that leaves mid-upload leaves no file behind.
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from live_server import ROOT, Client, LiveServer, cgmlst_file, multipart, stream_post

from engine.errors import InputError
from engine.io.datasets import read_dataset

MB = 2**20
LIMIT_MB = 32


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("streamed")
    live = LiveServer(folder / "data", folder / "server.log", {"PHYLODASH_UPLOAD_LIMIT_MB": str(LIMIT_MB)})
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Client:
    return Client(server.url, server.token())


@pytest.fixture
def project(client: Client) -> str:
    body = {"name": "Streamed", "description": "", "visibility": "public", "users": []}
    return client.json("POST", "/projects", body, expect=201)["id"]


@pytest.fixture(scope="module")
def table() -> bytes:
    """1,500 random cgMLST profiles of 3,002 loci: 13 MB of text, more than three reading blocks."""
    return cgmlst_file(1500, 3002)


def spooled(server: LiveServer) -> list[str]:
    """The files of the data folder's ``uploads`` folder the server has open."""
    folder = str(server.data.resolve() / "uploads")
    pid = server.panel_pid()
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(str(Path(fd).readlink()))
        except OSError:
            continue
    return [link for link in links if link.startswith(folder)]


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    """Whether ``condition()`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` as HTTP chunks of ``size`` bytes (the last shorter), then the end."""
    for start in range(0, len(data), size):
        piece = data[start:start + size]
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def post(server: LiveServer, path: str, token: str, content_type: str, body: Iterator[bytes],
         length: int | None = None) -> tuple[int, dict[str, str], int]:
    """POST ``body`` (chunked unless ``length`` is given): status, answer and the bytes sent."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    if length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(length)
    return stream_post(server.port, path, headers, body)


def upload_plain(client: Client, project: str, table: bytes) -> dict:
    """Upload ``table`` in one piece with its length (the client's own way): the created dataset."""
    body, content_type = multipart({"profiles": ("cgmlst.tsv", table)}, {"name": "cgMLST"})
    return client.json("POST", f"/projects/{project}/datasets", data=body, content_type=content_type,
                       expect=201)


def test_a_chunked_gzip_upload_is_spooled_and_gives_the_dataset_of_the_text(
    server: LiveServer, client: Client, project: str, table: bytes
) -> None:
    plain = upload_plain(client, project, table)
    body, content_type = multipart({"profiles": ("cgmlst.tsv.gz", gzip.compress(table))}, {"name": "cgMLST"})
    gate = threading.Event()

    def pieces() -> Iterator[bytes]:
        chunks = list(chunked(body, 7919))  # odd sizes: boundaries and blocks fall across pieces
        half = len(chunks) // 2
        yield from chunks[:half]
        gate.wait(60)
        yield from chunks[half:]

    headers = {"Authorization": f"Bearer {client.token}", "Content-Type": content_type,
               "Transfer-Encoding": "chunked"}
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(stream_post, server.port, f"/projects/{project}/datasets", headers, pieces())
        assert wait_for(lambda: len(spooled(server)) == 1), "no spooled file while the body came"
        gate.set()
        status, answer, _ = sent.result(300)
    assert status == 201, answer
    assert wait_for(lambda: not spooled(server)), spooled(server)
    assert not list((server.data / "uploads").iterdir())
    tables = [client.request("GET", f"/projects/{project}/datasets/{d}/profiles/files")
              for d in (plain["id"], answer["id"])]
    assert tables[0] == tables[1] and tables[0][0] == 200
    for own in ("id", "created"):
        del answer[own], plain[own]
    assert answer == plain
    assert (answer["profiles"], answer["loci"]) == (1500, 3002)


def test_a_body_past_the_limit_is_413_and_stores_nothing(server: LiveServer, client: Client,
                                                         project: str) -> None:
    rows = b"".join(b"%d\t1\t1\n" % row for row in range(4_000_000))  # 40 MB
    body, content_type = multipart({"profiles": ("big.tsv", b"ST\ta\tb\n" + rows)}, {"name": "big"})
    assert LIMIT_MB * MB < len(body) < 4 * LIMIT_MB * MB  # read to its end, nothing kept past the limit
    status, answer, _ = post(server, f"/projects/{project}/datasets", client.token, content_type,
                             chunked(body, 65536))
    assert (status, answer["message"]) == (413, "payload_too_large"), answer
    assert f"larger than the limit of {LIMIT_MB} MB" in answer["detail"]
    assert client.json("GET", f"/projects/{project}/datasets") == []
    assert wait_for(lambda: not spooled(server)), spooled(server)


def test_a_bad_file_is_the_readers_400_with_its_line(server: LiveServer, client: Client, project: str,
                                                      table: bytes) -> None:
    lines = table.split(b"\n")
    lines[1200] = lines[1200].replace(b"\t", b"\t\xe3", 1)  # not UTF-8, past the first reading block
    bad = b"\n".join(lines)
    with pytest.raises(InputError) as expected:
        read_dataset(bad)
    assert expected.value.line == 1201
    body, content_type = multipart({"profiles": ("bad.tsv.gz", gzip.compress(bad))}, {"name": "bad"})
    status, answer, _ = post(server, f"/projects/{project}/datasets", client.token, content_type,
                             chunked(body, 100_003))
    assert (status, answer) == (400, {"message": "bad_request", "detail": str(expected.value)})
    assert answer["detail"].startswith("line 1201: The profile file is not UTF-8 text")
    assert client.json("GET", f"/projects/{project}/datasets") == []
    assert wait_for(lambda: not spooled(server)), spooled(server)


def endless(piece: bytes = b"1\t1\t1\n" * 100_000) -> Iterator[bytes]:
    """A multipart body that never ends: a profile table of identical rows, ``piece`` after ``piece``."""
    yield b'--x\r\nContent-Disposition: form-data; name="profiles"; filename="p.tsv"\r\n\r\nST\ta\tb\n'
    for _ in range(1000):  # 600 MB
        yield piece


@pytest.mark.parametrize("length", [300 * MB, None], ids=["with a length", "chunked"])
def test_a_caller_who_may_not_upload_is_refused_before_the_body_is_read(
    server: LiveServer, client: Client, project: str, length: int | None
) -> None:
    added = subprocess.run([sys.executable, "-m", "api", "users", "add", f"reader-{length}@example.org"],
                           cwd=ROOT, env={**os.environ, "PHYLODASH_DATA": str(server.data)},
                           capture_output=True, text=True, check=True)
    reader = added.stdout.split()[-1]
    for token, status in (("pd_not-a-token", 401), (reader, 403)):  # the project is public: read-only
        body = endless() if length is not None else chunked_stream(endless())
        code, answer, sent = post(server, f"/projects/{project}/datasets", token,
                                  "multipart/form-data; boundary=x", body, length)
        assert code == status, answer
        assert sent < LIMIT_MB * MB, sent  # the sockets' buffers, not the body
        assert not spooled(server)
    assert client.json("GET", f"/projects/{project}/datasets") == []


def chunked_stream(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """Each of ``pieces`` as one HTTP chunk (never the end: the body is endless)."""
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)


def test_a_client_leaving_mid_upload_leaves_no_file(server: LiveServer, client: Client, project: str,
                                                     table: bytes) -> None:
    body, content_type = multipart({"profiles": ("cgmlst.tsv", table)}, {"name": "left"})
    head = (f"POST /projects/{project}/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {client.token}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as connection:
        connection.sendall(head + body[: len(body) // 2])
        assert wait_for(lambda: len(spooled(server)) == 1), "no spooled file while the body came"
    assert wait_for(lambda: not spooled(server)), spooled(server)
    assert not list((server.data / "uploads").iterdir())
    assert client.json("GET", f"/projects/{project}/datasets") == []
    assert client.json("GET", "/health")["status"] == "ok"
