"""Gzip-compressed tables: recognised by their magic bytes, inflated with a bound on the size.

Every reader of typing tables passes its bytes through :func:`inflate` first, so a gzip-compressed
file (``.gz`` or any other name: only the leading bytes ``1f 8b`` count) is read exactly as the
text it holds: the same report, the same errors with the same line numbers. Several gzip members
one after the other (``cat a.gz b.gz``) are one file, as ``gunzip`` reads them.

The text may not be larger than ``limit`` bytes (:data:`INFLATE_LIMIT` unless the caller says
otherwise; the server's setting is ``PHYLODASH_INFLATE_LIMIT_MB``): decompression stops there, so a
small file that inflates to gigabytes (a "zip bomb") costs at most ``limit`` bytes of memory.
:func:`inflate_stream` inflates a file read piece by piece, one piece at a time (the readers of
profile tables); :func:`inflate` holds the compressed bytes and the whole text (a 100,000 x 3,002
cgMLST table: 261 MB compressed, 879 MB of text).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator

from engine.errors import InputError

__all__ = ["GZIP_MAGIC", "INFLATE_LIMIT", "inflate", "inflate_stream"]

#: The first two bytes of every gzip stream.
GZIP_MAGIC = b"\x1f\x8b"
#: Default bound on the decompressed size of a gzip-compressed table: 2 GB, room for a
#: 100,000 x 3,002 cgMLST table (about 1.2 GB of text).
INFLATE_LIMIT = 2 * 1024**3
#: Bytes of text produced per decompression step.
_STEP = 16 * 1024**2


def inflate(data: bytes, what: str, limit: int = INFLATE_LIMIT) -> bytes:
    r"""``data`` itself, or the text it holds when it is gzip-compressed; InputError otherwise.

    Parameters
    ----------
    data : bytes
        The whole file as uploaded or read from disk.
    what : str
        Names the file in messages ("profile file", "isolates file").
    limit : int, default :data:`INFLATE_LIMIT`
        The most bytes the decompressed text may hold.

    Returns
    -------
    bytes
        ``data`` unchanged when it does not start with :data:`GZIP_MAGIC`, else the decompressed
        bytes of all its gzip members.

    Raises
    ------
    InputError
        As :func:`inflate_stream`.

    Examples
    --------
    >>> import gzip
    >>> inflate(gzip.compress(b"ST\tadk\n1\t7\n"), "profile file")
    b'ST\tadk\n1\t7\n'
    >>> inflate(b"ST\tadk\n", "profile file")
    b'ST\tadk\n'
    """
    if not data.startswith(GZIP_MAGIC):
        return data
    text = io.BytesIO()  # grows in place and hands its buffer over: the text is never held twice
    for part in inflate_stream([data], what, limit):
        text.write(part)
    return text.getvalue()


def inflate_stream(chunks: Iterable[bytes], what: str, limit: int = INFLATE_LIMIT,
                   step: int = _STEP) -> Iterator[bytes]:
    r"""The bytes of ``chunks`` (a file read piece by piece) as they come, or, when they start with
    :data:`GZIP_MAGIC`, the text of all their gzip members, at most ``step`` bytes a piece.

    Memory: one piece of input and one of output at a time. The checks are those of :func:`inflate`,
    raised as soon as the problem is met (a later piece is never read first).

    Raises
    ------
    InputError
        When the compressed data is damaged (a bad header or checksum, data after the end that is
        not another gzip member and not NUL padding), cut short, or inflates past ``limit`` bytes.

    Examples
    --------
    >>> import gzip
    >>> packed = gzip.compress(b"ST\tadk\n") + gzip.compress(b"1\t7\n")
    >>> b"".join(inflate_stream([packed[:5], packed[5:]], "profile file"))
    b'ST\tadk\n1\t7\n'
    """
    source = iter(chunks)
    pending = _take(source, b"", len(GZIP_MAGIC))
    if not pending.startswith(GZIP_MAGIC):
        if pending:
            yield pending
        yield from source
        return
    size = 0
    while pending.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        part = b""
        while not inflater.eof:
            if not pending and not part:  # zlib holds no more output: it needs more input
                pending = next(source, b"")
                if not pending:
                    raise InputError(f"The {what} is gzip-compressed but cut short: it ends before its "
                                     "compressed data does. Upload the whole file again.")
            try:
                part = inflater.decompress(pending, step)
            except zlib.error as error:
                reason = str(error).rpartition(": ")[2]  # zlib's "Error -3 while ...: <reason>"
                raise InputError(f"The {what} is gzip-compressed but damaged ({reason}): it cannot be "
                                 "decompressed. Compress the text file again and upload that.") from error
            pending = inflater.unconsumed_tail
            size += len(part)
            if size > limit:
                raise InputError(f"The {what} decompresses to more than {limit / 2**20:,.0f} MB of text, "
                                 "the most PhyloDash reads from a compressed file.")
            if part:
                yield part
        pending = _take(source, inflater.unused_data, len(GZIP_MAGIC))
    while pending:
        if pending.strip(b"\x00"):
            raise InputError(f"The {what} is gzip-compressed but has data after the end of its compressed "
                             "text. Compress the text file again and upload that.")
        pending = next(source, b"")


def _take(source: Iterator[bytes], start: bytes, size: int) -> bytes:
    """``start`` followed by pieces of ``source`` until it holds ``size`` bytes or ``source`` ends."""
    while len(start) < size:
        piece = next(source, b"")
        if not piece:
            break
        start += piece
    return start
