"""Peak memory of the real server (``make serve``) while it takes a large gzip-compressed cgMLST upload.

A clonal cgMLST table of ``--profiles`` x ``--loci`` (2% missing, bench/synthetic.py) is written and
gzip-compressed (level 6) in a temporary folder, then uploaded as a new dataset
(``POST /projects/{p}/datasets``, multipart, field ``profiles``) to a server started as the
end-to-end tests start it (:class:`live_server.LiveServer`, ``PHYLODASH_WORKERS=1``, its data folder
and its ``TMPDIR`` in the temporary folder). The body is sent from the file 1 MB at a time with its
Content-Length, so the client never holds it.

Printed: the sizes of the table (text and compressed), the upload's time and answer (profiles, loci),
the resident memory of the panel process (VmRSS, VmHWM) once it answered ``/health`` with the
project made and after the upload, the peak's growth, and the files left in the server's ``TMPDIR``.
With ``--plain`` the text itself is uploaded instead of its gzip-compressed form; ``--table FILE``
uploads that file instead of making one (with ``--keep``, the made table is kept for that). ``--serve``
gives the command that starts the server in the project folder (default ``make -s serve``), say to
measure a checkout's code with a server started without make.

Usage::

    python bench/bench_upload.py [--profiles 20000] [--loci 3002] [--plain] [--table FILE] [--keep]
                                 [--serve COMMAND]

Exit status: 0 when the upload succeeded.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from synthetic import cgmlst_file

ROOT = Path(__file__).resolve().parents[1]
# The launcher and JSON client of the end-to-end tests; the project before its tests folder.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from live_server import Client, LiveServer, multipart_files  # noqa: E402

MB = 2**20


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory of process ``pid`` now and at its peak (VmRSS, VmHWM), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def make_table(folder: Path, profiles: int, loci: int, plain: bool) -> tuple[Path, int]:
    """The file to upload (the table, gzip-compressed unless ``plain``) and the size of its text."""
    text = cgmlst_file(folder / "cgmlst.tsv", n=profiles, loci=loci)
    if plain:
        return text, text.stat().st_size
    packed = folder / "cgmlst.tsv.gz"
    with open(text, "rb") as source, gzip.open(packed, "wb", compresslevel=6) as target:
        shutil.copyfileobj(source, target, MB)
    size = text.stat().st_size
    text.unlink()
    return packed, size


def post_file(port: int, token: str, project: str, path: Path) -> tuple[int, dict, float]:
    """Upload ``path`` as the profiles of a new dataset, sent a piece at a time: status, answer, seconds."""
    content_type, length, pieces = multipart_files({"profiles": path}, {"name": "bench upload"})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
    start = time.perf_counter()
    connection.request("POST", f"/projects/{project}/datasets", body=pieces, headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type, "Content-Length": str(length)})
    answer = connection.getresponse()
    body = json.loads(answer.read())
    seconds = time.perf_counter() - start
    connection.close()
    return answer.status, body, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--loci", type=int, default=3002)
    parser.add_argument("--plain", action="store_true", help="upload the text, not its gzip-compressed form")
    parser.add_argument("--table", type=Path, help="upload this file instead of making a table")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--serve", default="make -s serve",
                        help="the command that starts the server in the project folder, serving on $PORT")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-upload-"))
    spool = folder / "tmp"
    spool.mkdir()
    try:
        if options.table is not None:
            path = options.table
            print(f"table {path}: {path.stat().st_size / MB:,.1f} MB uploaded", flush=True)
        else:
            start = time.perf_counter()
            path, text_size = make_table(folder, options.profiles, options.loci, options.plain)
            print(f"table {options.profiles:,} x {options.loci:,}: {text_size / MB:,.1f} MB of text, "
                  f"{path.stat().st_size / MB:,.1f} MB uploaded ({path.name}); made in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
        server = LiveServer(folder / "data", folder / "server.log", {"TMPDIR": str(spool)},
                            command=shlex.split(options.serve))
        try:
            token = server.token()
            client = Client(server.url, token)
            project = client.json("POST", "/projects", {"name": "Bench upload", "visibility": "private"},
                                  expect=201)["id"]
            pid = server.panel_pid()
            rss, peak = memory_mb(pid)
            print(f"server before the upload: VmRSS {rss:,.0f} MB, VmHWM {peak:,.0f} MB", flush=True)
            status, body, seconds = post_file(server.port, token, project, path)
            if status != 201:
                print(f"the upload answered {status}: {body}", file=sys.stderr)
                return 1
            after_rss, after_peak = memory_mb(pid)
            print(f"upload: {status} in {seconds:.1f} s, "
                  f"{body['profiles']:,} profiles x {body['loci']:,} loci")
            print(f"server after the upload: VmRSS {after_rss:,.0f} MB, VmHWM {after_peak:,.0f} MB "
                  f"(peak +{after_peak - peak:,.0f} MB)")
            print(f"files left in the server's TMPDIR: {sorted(p.name for p in spool.iterdir())}, "
                  f"in its data folder's uploads: {sorted(p.name for p in server.data.glob('uploads/*'))}")
        finally:
            server.stop()
    finally:
        if options.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
