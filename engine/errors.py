"""Errors raised by the engine, one tree so callers map classes (never message text) to outcomes."""

from __future__ import annotations

#: How many characters of a caller's value a message quotes.
QUOTE_LIMIT = 100


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A caller's value as a message quotes it: ``repr`` (so a newline shows as ``\\n``), cut to about
    ``limit`` characters with an ellipsis and the full length when longer.

    Examples
    --------
    >>> quoted("ST 5")
    "'ST 5'"
    >>> quoted("line\\nbreak")
    "'line\\\\nbreak'"
    >>> quoted("a" * 1000, limit=10)
    "'aaaaaaaa… (1,000 characters)"
    >>> quoted(list(range(500)), limit=10)
    '[0, 1, 2,… (500 items)'

    """
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str | bytes):
        size = f"{len(value):,} {'characters' if isinstance(value, str) else 'bytes'}"
    elif isinstance(value, list | dict | tuple):
        size = f"{len(value):,} items"
    else:
        size = f"{len(text):,} characters written out"
    return f"{text[:limit - 1]}… ({size})"


class PhyloDashError(Exception):
    """Base of every error the engine raises on purpose."""


class InputError(PhyloDashError):
    """A file or value that cannot be used; ``line`` is the 1-based line number when known.

    The message is a sentence a biologist understands (no Python jargon); ``str(error)`` adds the
    line number in front when there is one.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class ParameterError(PhyloDashError):
    """An algorithm name or parameter value outside what the registry allows."""


class NotFoundError(PhyloDashError):
    """A record that does not exist (or that the caller may not see)."""


class ConflictError(PhyloDashError):
    """An operation that the current state of a record does not allow."""


class CancelledError(PhyloDashError):
    """A run stopped because its caller asked it to."""


class UnauthorizedError(PhyloDashError):
    """No valid credentials, or a project the caller may not know of (PhyloDB's 401)."""


class ForbiddenError(PhyloDashError):
    """A known caller who may read but not change (or may not do) what they asked."""
