"""The server's allocator setting: a large block freed once does not make the next ones come from the heap."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.allocator import map_large_blocks

# Run in a fresh process: frees a 4 MiB block (which, by default, raises glibc's threshold to 4 MiB),
# then holds a 2 MiB block and prints whether glibc served it with a mapping of its own.
_PROBE = """
import ctypes, sys
from engine.allocator import map_large_blocks

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks "
                                                    "uordblks fordblks keepcost".split()]

mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
mallinfo2.restype = Info
if sys.argv[1] == "mapped":
    assert map_large_blocks()
first = bytearray(4 << 20)
del first
before = mallinfo2().hblkhd
second = bytearray(2 << 20)
print(mallinfo2().hblkhd - before >= 2 << 20)
"""


def _second_block_mapped(setting: str) -> bool:
    answer = subprocess.run([sys.executable, "-c", _PROBE, setting], capture_output=True, text=True,
                            check=True)
    return answer.stdout.strip() == "True"


def test_large_blocks_stay_mapped_after_a_larger_one_was_freed() -> None:
    if not map_large_blocks():
        pytest.skip("the C library is not glibc: there is no threshold to fix")
    assert not _second_block_mapped("default")  # glibc raised its threshold: the heap served it
    assert _second_block_mapped("mapped")
