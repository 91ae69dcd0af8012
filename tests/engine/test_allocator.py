"""The server's allocator settings: large blocks stay mapped, threads share two arenas, free pages go back."""

from __future__ import annotations

import os
import subprocess
import sys

from engine.allocator import ARENAS, keep_heap_compact

# Each probe runs in a fresh process, with the settings ("compact") or without ("default").
# Frees a 4 MiB block (which, by default, raises glibc's threshold to 4 MiB), then holds a 2 MiB block
# and prints whether glibc served it with a mapping of its own.
_MAPPED_PROBE = """
import ctypes, sys
from engine.allocator import keep_heap_compact

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks "
                                                    "uordblks fordblks keepcost".split()]

mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
mallinfo2.restype = Info
if sys.argv[1] == "compact":
    assert keep_heap_compact()
first = bytearray(4 << 20)
del first
before = mallinfo2().hblkhd
second = bytearray(2 << 20)
print(mallinfo2().hblkhd - before >= 2 << 20)
"""
# Six threads alive at once each allocate a block; glibc's malloc_stats then lists its arenas on stderr.
_ARENAS_PROBE = """
import ctypes, sys, threading
from engine.allocator import keep_heap_compact

if sys.argv[1] == "compact":
    assert keep_heap_compact()
together = threading.Barrier(6)
blocks = []

def allocate():
    together.wait()
    blocks.append(bytearray(4096))
    together.wait()

threads = [threading.Thread(target=allocate) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL("libc.so.6").malloc_stats()
"""

# Fills 40 MB of heap with 100 KiB blocks (under the threshold), frees all but the last (which keeps the
# heap's top in place), then, with "trim", gives the free pages back every 0.1 s; prints the process's
# anonymous memory given back after 0.5 s, in MB.
_TRIM_PROBE = """
import sys, time
from engine.allocator import keep_heap_compact, trim_every

def anonymous_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon"))

keep_heap_compact()
blocks = [bytearray(100 << 10) for _ in range(400)]
del blocks[:-1]
before = anonymous_kb()
if sys.argv[1] == "trim":
    trim_every(0.1)
time.sleep(0.5)
print((before - anonymous_kb()) / 1024)
"""


def _probe(code: str, setting: str) -> subprocess.CompletedProcess[str]:
    # Without glibc's own settings from the environment (Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in
    # its parent's, which also fixes the threshold), so "default" is glibc's default.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("MALLOC_") and name != "GLIBC_TUNABLES"}
    return subprocess.run([sys.executable, "-c", code, setting], capture_output=True, text=True, check=True,
                          env=environment)


def test_the_settings_apply_on_glibc() -> None:
    # The server runs on Linux with glibc (Debian, as `make serve` and CI do); there every setting applies.
    assert keep_heap_compact()


def test_large_blocks_stay_mapped_after_a_larger_one_was_freed() -> None:
    assert _probe(_MAPPED_PROBE, "default").stdout.strip() == "False"  # glibc raised its threshold
    assert _probe(_MAPPED_PROBE, "compact").stdout.strip() == "True"


def test_threads_share_at_most_two_arenas() -> None:
    assert _probe(_ARENAS_PROBE, "default").stderr.count("Arena ") > ARENAS
    assert _probe(_ARENAS_PROBE, "compact").stderr.count("Arena ") == ARENAS


def test_free_heap_pages_go_back_to_the_system_every_period() -> None:
    assert float(_probe(_TRIM_PROBE, "none").stdout) < 5
    assert float(_probe(_TRIM_PROBE, "trim").stdout) > 30
