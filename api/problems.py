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
            405: "bad_request", 409: "conflict", 413: "payload_too_large", 500: "server"}
_STATUS_OF_ERROR: tuple[tuple[type[PhyloDashError], int], ...] = (
    (UnauthorizedError, 401), (ForbiddenError, 403), (NotFoundError, 404), (ConflictError, 409),
    (InputError, 400), (ParameterError, 400),
)
PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by a handler to answer ``status`` with a problem body whose detail is ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def status_of(error: BaseException) -> int | None:
    """The status code an engine error or a Problem maps to; None for anything unexpected."""
    if isinstance(error, Problem):
        return error.status
    for kind, status in _STATUS_OF_ERROR:
        if isinstance(error, kind):
            return status
    return None


def body(status: int, detail: str) -> dict[str, str]:
    """The problem body for ``status``."""
    return {"message": MESSAGES.get(status, "bad_request" if status < 500 else "server"), "detail": detail}
