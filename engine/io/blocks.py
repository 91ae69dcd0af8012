r"""A table's text as blocks of whole lines, checked as :mod:`engine.io.text` describes, read with
bounded memory.

:func:`text_blocks` reads a file handle (or bytes) a piece at a time, decompresses it when it is
gzip-compressed (:func:`~engine.io.compressed.inflate_stream`), decodes UTF-16, drops a UTF-8
byte-order mark, turns CRLF and CR line ends into LF and hands out blocks of at least
:data:`BLOCK_SIZE` bytes that end at a line end (the last block excepted), each with the number of
lines before it. A reader that works on one block at a time therefore holds one block of text, never
the whole file.

Errors are those :mod:`engine.io.text` lists, with the same messages and line numbers as a reading
of the whole text, and the same one when a file has several problems: a problem of the compression
or of UTF-16 decoding first, then a file that is an archive, an image or a PDF, a NUL byte, bytes
that are not UTF-8, a file with only blank lines. So a problem found in a block is raised only when
the file has been read to its end (decompressing, not decoding); the blocks stop at the first one.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from itertools import chain
from typing import NamedTuple

from engine.errors import InputError
from engine.io.compressed import INFLATE_LIMIT, inflate_stream
from engine.io.text import SPACE_BYTES, Source

__all__ = ["BLOCK_SIZE", "Block", "block_lines", "read_text", "text_blocks"]

#: The least number of bytes of a block (its lines are whole), also the size of each read and of each
#: piece of inflated text. Reading bench/synthetic.py's 100,000 x 3,002 cgMLST table, 4 MB blocks peak
#: about 170 MB lower than 16 MB blocks (fewer large buffers left behind by the allocator), and 1 MB
#: blocks about 20 MB lower still.
BLOCK_SIZE = 4 * 1024**2

#: Leading bytes of files people upload by mistake, with what to tell them.
_MAGIC = (
    (b"\x1f\x8b", "The {what} is compressed twice (gzip inside gzip). Decompress it once and upload "
                    "that."),
    (b"PK\x03\x04", "The {what} is a ZIP archive (an Excel .xlsx workbook is one). Save the sheet "
                    "as 'Text (Tab delimited)' and upload that."),
    (b"\xd0\xcf\x11\xe0", "The {what} is an Excel (.xls) workbook. Save the sheet as "
                          "'Text (Tab delimited)' and upload that."),
    (b"\x89PNG", "The {what} is a PNG image, not a text table. Upload the tab-separated text file."),
    (b"\xff\xd8\xff", "The {what} is a JPEG image, not a text table. Upload the tab-separated text "
                       "file."),
    (b"%PDF", "The {what} is a PDF document, not a text table. Upload the tab-separated text file."),
)
#: Bytes needed to recognise every magic and byte-order mark above.
_HEAD = 4


class Block(NamedTuple):
    """Whole lines of a table's text: ``text`` starts on line ``before + 1`` (1-based)."""

    before: int
    text: bytes


def block_lines(text: bytes) -> list[bytes]:
    r"""The lines of a block of whole lines (no empty last line after its final line end).

    >>> block_lines(b"ST\tadk\n1\t7\n"), block_lines(b"1\t7")
    ([b'ST\tadk', b'1\t7'], [b'1\t7'])
    """
    lines = text.split(b"\n")
    if text.endswith(b"\n"):
        lines.pop()
    return lines


def text_blocks(source: Source, what: str, caller: str,
                inflate_limit: int = INFLATE_LIMIT) -> Iterator[Block]:
    r"""The text of ``source`` as UTF-8 blocks with LF line ends, or InputError at the end of the file.

    ``what`` names the file in messages ("profile file"), ``caller`` the reader in a TypeError for a
    source that is not bytes or a binary file handle (a reader never guesses whether a string is a
    path or the text). Gzip-compressed text may hold at most ``inflate_limit`` bytes.

    Examples
    --------
    >>> list(text_blocks(b"\xef\xbb\xbfST\tadk\r\n1\t7\r\n", "profile file", "read_profiles"))
    [Block(before=0, text=b'ST\tadk\n1\t7\n')]
    """
    size = BLOCK_SIZE
    chunks = inflate_stream(_read(source, caller, size), what, inflate_limit, size)
    checks = _Checks(what)
    for text in _lines(checks.decoded(chunks), size):
        checks.check(text)
        if checks.error is None:
            yield Block(checks.before, text)
        checks.before += text.count(b"\n")
    checks.finish()


def read_text(source: Source, what: str, caller: str, inflate_limit: int = INFLATE_LIMIT) -> bytes:
    r"""The whole text of ``source``, checked as :func:`text_blocks` checks it.

    >>> read_text(b"ST\tadk\r1\t7", "profile file", "read_profiles")
    b'ST\tadk\n1\t7'
    """
    return b"".join(block.text for block in text_blocks(source, what, caller, inflate_limit))


def _read(source: Source, caller: str, size: int) -> Iterator[bytes]:
    """The bytes of ``source``, ``size`` at a time; TypeError for anything but bytes or a binary handle."""
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source).cast("B")
        for start in range(0, len(view), size):
            yield bytes(view[start:start + size])
        return
    if isinstance(source, str) or not hasattr(source, "read"):
        raise TypeError(f"{caller} reads bytes or a file opened in binary mode ('rb'), "
                        f"not {type(source).__name__}")
    while True:
        data = source.read(size)
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"{caller} needs a file opened in binary mode ('rb')")
        if not data:
            return
        yield bytes(data)


def _lines(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """``chunks`` with CRLF and CR made LF, cut into blocks of at least ``size`` bytes ending at a line
    end (the last one ends where the text does). Each byte is copied a bounded number of times, so a
    file without line ends costs linear time too."""
    pieces: list[bytes] = []  # the text after the last block
    held = 0  # bytes in pieces
    carry = b""  # a CR at the end of a chunk: maybe the first half of a CRLF
    for chunk in chunks:
        chunk = carry + chunk
        carry = b"\r" if chunk.endswith(b"\r") else b""
        chunk = chunk[: len(chunk) - len(carry)]
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        start = 0
        cut = chunk.find(b"\n", max(0, size - 1 - held))
        while cut >= 0:
            pieces.append(chunk[start:cut + 1])
            yield b"".join(pieces)
            pieces, held, start = [], 0, cut + 1
            cut = chunk.find(b"\n", start + size - 1)
        if start < len(chunk):
            pieces.append(chunk[start:])
            held += len(chunk) - start
    if carry:
        pieces.append(b"\n")
    if pieces:
        yield b"".join(pieces)


class _Checks:
    """The checks of the text, in the order of a reading of the whole text; the first problem (by
    that order) is kept in :attr:`error` and raised by :meth:`finish`."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.before = 0
        self.error: tuple[int, InputError] | None = None
        self.blank = True

    def _keep(self, rank: int, error: InputError) -> None:
        if self.error is None or rank < self.error[0]:
            self.error = (rank, error)

    def decoded(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """``chunks`` as UTF-8 without byte-order mark; the empty file, archive, image and PDF checks."""
        head, chunks = _peek(chunks)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            chunks = self._utf16(chunks)
        elif head.startswith(b"\xef\xbb\xbf"):
            next(chunks)
            chunks = chain([head[3:]], chunks)
        head, chunks = _peek(chunks)
        if not head:
            self._keep(1, InputError(f"The {self.what} is empty."))
        for magic, message in _MAGIC:
            if head.startswith(magic):
                self._keep(1, InputError(message.format(what=self.what)))
        return chunks

    def _utf16(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        decoder = codecs.getincrementaldecoder("utf-16")()
        for chunk in chain(chunks, [None]):
            if self.error is not None and self.error[0] == 0:
                continue  # read on only to meet a problem of the compression, which comes first
            try:
                yield decoder.decode(chunk or b"", chunk is None).encode("utf-8")
            except UnicodeError:
                self._keep(0, InputError(f"The {self.what} starts like UTF-16 text but cannot be read "
                                         "as such; save it as UTF-8 text."))

    def check(self, text: bytes) -> None:
        """Look for a NUL byte, bytes that are not UTF-8 and a line that is not blank in ``text``."""
        if self.error is None or self.error[0] > 2:
            nul = text.find(b"\x00")
            if nul >= 0:
                self._keep(2, InputError(
                    f"The {self.what} contains binary data (a NUL byte): it is not a text table, or it "
                    "is UTF-16 text without a byte-order mark. Save it as UTF-8 text.",
                    self.before + text.count(b"\n", 0, nul) + 1))
        if self.error is None and not text.isascii():
            try:
                text.decode("utf-8")
            except UnicodeDecodeError as error:
                self._keep(3, InputError(
                    f"The {self.what} is not UTF-8 text: byte 0x{text[error.start]:02X} cannot be read. "
                    "Save it as UTF-8 (Unicode) text.",
                    self.before + text.count(b"\n", 0, error.start) + 1))
        if self.blank and text.strip(SPACE_BYTES):
            self.blank = False

    def finish(self) -> None:
        """Raise the problem found first (by the order above), if any."""
        if self.error is not None:
            raise self.error[1]
        if self.blank:
            raise InputError(f"The {self.what} has only blank lines.")


def _peek(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The first bytes of ``chunks`` (at least enough to recognise a magic, when there are so many)
    and ``chunks`` again from their start, those bytes first."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= _HEAD:
            break
    return head, chain([head], chunks)
