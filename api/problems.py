"""Problem responses (api.md section 1): a status code, ``{"message", "detail"}``, no traceback."""

from __future__ import annotations

from engine.errors import (
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    ParameterError,
    PhyloDashError,
    UnauthorizedError,
)

#: The ``message`` of each status a handler answers with.
MESSAGES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "bad_request", 409: "conflict", 413: "payload_too_large", 429: "too_many_requests",
            500: "server"}
#: The longest ``detail`` a problem carries (the values it quotes are cut shorter still).
DETAIL_LIMIT = 1000
_STATUS_OF_ERROR: tuple[tuple[type[PhyloDashError], int], ...] = (
    (UnauthorizedError, 401), (ForbiddenError, 403), (NotFoundError, 404), (ConflictError, 409),
    (InputError, 400), (ParameterError, 400),
)
PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by a handler to answer ``status`` with a problem body whose detail is ``detail`` (and
    ``headers``, such as ``Retry-After``)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def status_of(error: BaseException) -> int | None:
    """The status code an engine error or a Problem maps to; None for anything unexpected."""
    if isinstance(error, Problem):
        return error.status
    for kind, status in _STATUS_OF_ERROR:
        if isinstance(error, kind):
            return status
    return None


def body(status: int, detail: str) -> dict[str, str]:
    """The problem body for ``status``; a detail longer than ``DETAIL_LIMIT`` is cut with an ellipsis."""
    if len(detail) > DETAIL_LIMIT:
        detail = detail[:DETAIL_LIMIT - 1] + "…"
    return {"message": MESSAGES.get(status, "bad_request" if status < 500 else "server"), "detail": detail}
