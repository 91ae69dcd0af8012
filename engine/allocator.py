"""The C allocator's settings for the long-running server process: large blocks mapped, two arenas.

glibc's ``malloc`` serves a block of 128 KiB or more with a mapping of its own and gives it back to
the system when it is freed; but each such free raises that threshold to the freed block's size (up
to 32 MiB), so from then on blocks of a few MiB (the store's JSON text at each write, answer bodies,
Bokeh's messages) come from the heap, and the holes they leave between long-lived small blocks stay
with the process. And each thread that allocates while another holds the lock gets an arena (a heap)
of its own, up to 8 a core, each keeping its own free holes.

Measured with the soak (``bench/bench_soak.py``): under API traffic alone (``--sessions 0``, 8
minutes) the free heap grew from 30 to 45 MB while the blocks in use stayed at 34 MB; with the
threshold fixed it stayed at 3 to 6 MB. With the 3 dashboard sessions too (20 minutes), the server
grew 13.8% to 24.8% from minute 2 to minute 20; 10.4% with the threshold fixed, its free heap still
growing from 6 to 29 MB; 9.2% with two arenas as well, flat from minute 5 on (the Python objects'
high-water mark of the sessions is reached then). What the heap still holds free between live
blocks is given back to the system every minute (:func:`trim_every`; ``malloc_trim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from functools import cache
from typing import Any

#: Blocks of this size or more get their own mapping (glibc's initial threshold).
LARGE_BLOCK_BYTES = 128 * 1024
#: Arenas the process's threads share.
ARENAS = 2
#: Seconds between two returns of the heaps' free pages to the system in the server.
TRIM_EVERY_S = 60.0
_M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers in glibc's malloc.h
_M_ARENA_MAX = -8


@cache
def _glibc() -> Any | None:
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        library = ctypes.CDLL(name)
        library.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        library.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc
        return None
    library.mallopt.restype = library.malloc_trim.restype = ctypes.c_int
    return library


def keep_heap_compact(threshold: int = LARGE_BLOCK_BYTES, arenas: int = ARENAS) -> bool:
    """For the rest of the process, make the C allocator map every block of ``threshold`` bytes or
    more (unmapped when freed) and let threads share at most ``arenas`` arenas (those made before
    stay). True when applied; False where the C library is not glibc (nothing is changed there)."""
    glibc = _glibc()
    if glibc is None:
        return False
    return bool(glibc.mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(glibc.mallopt(_M_ARENA_MAX, arenas))


def give_back_free_memory() -> bool:
    """Return the whole free pages inside the C allocator's heaps to the system (``malloc_trim(0)``).
    True when glibc gave some back; False when it had none, or the C library is not glibc."""
    glibc = _glibc()
    return glibc is not None and bool(glibc.malloc_trim(0))


def trim_every(seconds: float) -> threading.Event:
    """Call :func:`give_back_free_memory` every ``seconds`` on a daemon thread, until the returned
    event is set."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            give_back_free_memory()

    threading.Thread(target=loop, name="trim-free-memory", daemon=True).start()
    return stop
