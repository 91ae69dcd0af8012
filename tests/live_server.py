"""The real server for end-to-end tests: ``make serve`` on a free port and a temporary data folder."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.algorithms.registry import get as algorithm_named

ROOT = Path(__file__).resolve().parents[1]


FINAL = ("succeeded", "failed", "cancelled")


def multipart(files: dict[str, tuple[str, bytes]], fields: dict[str, str] | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (fields or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def multipart_files(files: dict[str, Path], fields: dict[str, str] | None = None, piece: int = 2**20
                    ) -> tuple[str, int, Iterator[bytes]]:
    """A multipart/form-data body of the files at ``files`` (``name -> path``) read ``piece`` bytes at a
    time as it is sent, never held whole: its Content-Type, its length and its pieces."""
    marker = b"\0<file>\0"
    head, content_type = multipart({name: (path.name, marker) for name, path in files.items()}, fields)
    around = head.split(marker)  # the text before, between and after the files
    length = sum(map(len, around)) + sum(path.stat().st_size for path in files.values())

    def pieces() -> Iterator[bytes]:
        for before, path in zip(around, files.values(), strict=False):
            yield before
            with open(path, "rb") as handle:
                while data := handle.read(piece):
                    yield data
        yield around[-1]

    return content_type, length, pieces()


def stream_post(port: int, path: str, headers: dict[str, str], body: Iterator[bytes]
                ) -> tuple[int, dict[str, str], int]:
    """POST ``body`` chunk by chunk (in a thread) while the answer is read: its status, JSON body and the
    bytes sent. The sender stops when the server closes the connection, as it does after refusing a body.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *map(": ".join, headers.items())]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sent = 0

        def send() -> None:
            nonlocal sent
            with contextlib.suppress(OSError):
                for chunk in body:
                    connection.sendall(chunk)
                    sent += len(chunk)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answer = connection.makefile("rb")
        status = int(answer.readline().split()[1])
        length = 0
        while (line := answer.readline().strip()):
            name, _, value = line.decode("latin-1").partition(":")
            length = int(value) if name.lower() == "content-length" else length
        problem = json.loads(answer.read(length))
        sender.join(120)
        assert not sender.is_alive(), "the server neither read the body nor closed the connection"
    return status, problem, sent


def peak_memory(pid: int) -> int:
    """Peak resident memory (``VmHWM``) of process ``pid``, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


def job_request(algorithm: str, *parameters: Any) -> dict[str, Any]:
    """A PhyloDB job body: ``analysis`` is the algorithm's kind from the registry."""
    return {
        "analysis": algorithm_named(algorithm).kind,
        "algorithm": algorithm,
        "parameters": list(parameters),
    }


def poll_job(fetch: Callable[[], Any], statuses: tuple[str, ...] = FINAL, timeout: float = 300) -> Any:
    """Call ``fetch()`` (a job's JSON) until its status is one of ``statuses``; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found["status"] in statuses or time.monotonic() > deadline:
            assert found["status"] in statuses, found
            return found
        time.sleep(0.1)


def at_once(name: str, bodies: list[Callable[[threading.Barrier], None]]) -> float:
    """Run each body in a thread of its own; each passes the shared barrier it is given when ready, so
    all start together. The seconds from that start until the last one ended."""
    ready = threading.Barrier(len(bodies) + 1)
    threads = [threading.Thread(target=body, args=(ready,), name=f"{name}-{k}")
               for k, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def stored_documents(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every document of a data folder's database files (``phylodash.json`` and ``projects/*.json``), by
    table; each file must parse."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for path in [folder / "phylodash.json", *sorted((folder / "projects").glob("*.json"))]:
        for table, rows in json.loads(path.read_bytes()).items():
            tables.setdefault(table, []).extend(rows.values())
    return tables


def database_bytes(folder: Path) -> int:
    """The size of a data folder's database files (``phylodash.json`` and ``projects/*.json``)."""
    files = [folder / "phylodash.json", *(folder / "projects").glob("*.json")]
    return sum(path.stat().st_size for path in files if path.exists())


def free_port() -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def job_workers(pid: int) -> set[int]:
    """The job worker processes below ``pid`` (``phylodash-job-worker`` on their command line)."""
    workers = set()
    for child in descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"phylodash-job-worker" in command:
            workers.add(child)
    return workers


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class LiveServer:
    """``make serve`` (or ``command``) in its own process group; :meth:`stop` ends the group.

    The server's environment is this process's, plus ``environment`` (settings such as
    ``PHYLODASH_MAX_QUEUED_JOBS``), plus its port (``PORT``), data folder and ``workers`` jobs at once
    (one). ``command`` runs in the project folder and must serve on ``$PORT``.
    """

    def __init__(self, data: Path, log: Path, environment: Mapping[str, str] | None = None,
                 workers: int = 1, command: Sequence[str] = ("make", "-s", "serve")) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        variables = {
            **os.environ,
            **(environment or {}),
            "PORT": str(self.port),
            "PHYLODASH_DATA": str(data),
            "PHYLODASH_WORKERS": str(workers),
        }
        with open(log, "ab") as output:
            self.process = subprocess.Popen(
                list(command),
                cwd=ROOT,
                env=variables,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not answer within {timeout} s: {self.log.read_text()[-3000:]}")

    def panel_pid(self) -> int:
        """The ``panel serve`` process (the command's, or one below it, as below ``make``)."""
        for pid in (self.process.pid, *descendants(self.process.pid)):
            try:
                if b"panel" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1]:
                    return pid
            except (OSError, IndexError):
                continue
        raise AssertionError("no panel process below make")

    def token(self) -> str:
        """The admin token the first start printed (the line after 'API token of')."""
        lines = self.log.read_text().splitlines()
        marker = next(i for i, line in enumerate(lines) if line.startswith("API token of"))
        return lines[marker + 1].strip()

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


class Client:
    """A minimal JSON client with a bearer token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """Status and parsed JSON body (raw bytes when not JSON) of one request."""
        payload = data if data is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=payload,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                status, raw, kind = answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        return status, (json.loads(raw) if raw and "json" in kind else raw)

    def json(self, method: str, path: str, body: Any = None, expect: int = 200, **options: Any) -> Any:
        """The JSON answer of a request that must answer ``expect``."""
        status, answer = self.request(method, path, body, **options)
        assert status == expect, (method, path, status, answer)
        return answer

    def submit(self, project: str, algorithm: str, *parameters: Any) -> Any:
        """POST a job (202 expected): ``{job_id, analysis_id}``."""
        return self.json("POST", f"/projects/{project}/jobs", job_request(algorithm, *parameters), expect=202)

    def wait_job(self, project: str, job: str, statuses: tuple[str, ...] = FINAL) -> Any:
        """Poll until the job's status is one of ``statuses``."""
        return poll_job(lambda: self.json("GET", f"/projects/{project}/jobs/{job}"), statuses)


def cgmlst_file(rows: int, loci: int, seed: int = 7) -> bytes:
    """Random profiles: goeBURST full on these runs long enough to be cancelled mid-run."""
    alleles = np.random.default_rng(seed).integers(1, 60, size=(rows, loci))
    lines = ["ST\t" + "\t".join(f"locus{i}" for i in range(loci))]
    lines += [f"{row + 1}\t" + "\t".join(map(str, values)) for row, values in enumerate(alleles.tolist())]
    return ("\n".join(lines) + "\n").encode()


def upload(client: Client, project: str, profiles: bytes, isolates: bytes | None = None) -> dict:
    """Upload ``profiles`` (and ``isolates``) as a new dataset of ``project``; its JSON answer."""
    files = {"profiles": ("profiles.txt", profiles)}
    if isolates is not None:
        files["isolates"] = ("isolates.txt", isolates)
    data, content_type = multipart(files, {"name": "uploaded"})
    return client.json(
        "POST", f"/projects/{project}/datasets", data=data, content_type=content_type, expect=201
    )
