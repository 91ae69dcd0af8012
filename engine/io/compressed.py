"""Gzip-compressed tables: recognised by their magic bytes, inflated with a bound on the size.

Every reader of typing tables passes its bytes through :func:`inflate` first, so a gzip-compressed
file (``.gz`` or any other name: only the leading bytes ``1f 8b`` count) is read exactly as the
text it holds: the same report, the same errors with the same line numbers. Several gzip members
one after the other (``cat a.gz b.gz``) are one file, as ``gunzip`` reads them.

The text may not be larger than ``limit`` bytes (:data:`INFLATE_LIMIT` unless the caller says
otherwise; the server's setting is ``PHYLODASH_INFLATE_LIMIT_MB``): decompression stops there, so a
small file that inflates to gigabytes (a "zip bomb") costs at most ``limit`` bytes of memory.
Memory while inflating: the compressed bytes plus the text (a 100,000 x 3,002 cgMLST table, 261 MB
compressed, 879 MB of text).
"""

from __future__ import annotations

import io
import zlib

from engine.errors import InputError

__all__ = ["GZIP_MAGIC", "INFLATE_LIMIT", "inflate"]

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
        When the compressed data is damaged (a bad header or checksum, data after the end that is
        not another gzip member), cut short, or inflates past ``limit`` bytes.

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
    size = 0
    pending = data
    while pending.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflater.eof:
            try:
                part = inflater.decompress(pending, _STEP)
            except zlib.error as error:
                reason = str(error).rpartition(": ")[2]  # zlib's "Error -3 while ...: <reason>"
                raise InputError(f"The {what} is gzip-compressed but damaged ({reason}): it cannot be "
                                 "decompressed. Compress the text file again and upload that.") from error
            pending = inflater.unconsumed_tail
            size += len(part)
            if size > limit:
                raise InputError(f"The {what} decompresses to more than {limit / 2**20:,.0f} MB of text, "
                                 "the most PhyloDash reads from a compressed file.")
            if not part and not pending and not inflater.eof:
                raise InputError(f"The {what} is gzip-compressed but cut short: it ends before its "
                                 "compressed data does. Upload the whole file again.")
            text.write(part)
        pending = inflater.unused_data
    if pending.strip(b"\x00"):
        raise InputError(f"The {what} is gzip-compressed but has data after the end of its compressed "
                         "text. Compress the text file again and upload that.")
    return text.getvalue()
