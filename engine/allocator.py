"""The C allocator's setting for the long-running server process: large blocks mapped, never heaped.

glibc's ``malloc`` serves a block of 128 KiB or more with a mapping of its own and gives it back to
the system when it is freed; but each such free raises that threshold to the freed block's size (up
to 32 MiB), so from then on blocks of a few MiB (the store's JSON text at each write, answer bodies,
Bokeh's messages) come from the heap, and the holes they leave between long-lived small blocks stay
with the process. Under the soak's API traffic (``bench/bench_soak.py --sessions 0``) that free
heap grew from 30 to 45 MB in 8 minutes while the blocks in use stayed at 34 MB; with the threshold
fixed it stayed at 3 to 6 MB. ``mallopt`` fixes the threshold (which also stops glibc's dynamic
adjustment), so large blocks are always mapped and always returned.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: Blocks of this size or more get their own mapping (glibc's initial threshold).
LARGE_BLOCK_BYTES = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


def map_large_blocks(threshold: int = LARGE_BLOCK_BYTES) -> bool:
    """Make the C allocator map every block of ``threshold`` bytes or more and unmap it when freed,
    for the rest of the process. True when applied; False where the C library is not glibc (nothing
    is changed there)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc: no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
