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
high-water mark of the sessions is reached then).
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: Blocks of this size or more get their own mapping (glibc's initial threshold).
LARGE_BLOCK_BYTES = 128 * 1024
#: Arenas the process's threads share.
ARENAS = 2
_M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers in glibc's malloc.h
_M_ARENA_MAX = -8


def keep_heap_compact(threshold: int = LARGE_BLOCK_BYTES, arenas: int = ARENAS) -> bool:
    """For the rest of the process, make the C allocator map every block of ``threshold`` bytes or
    more (unmapped when freed) and let threads share at most ``arenas`` arenas (those made before
    stay). True when applied; False where the C library is not glibc (nothing is changed there)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc: no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(mallopt(_M_ARENA_MAX, arenas))
