"""The base of every handler: request ids, JSON in and out, problems, auth, paging, executors.

Handlers are thin: they authenticate, parse, call the engine's service off the IOLoop (the
dashboard's websockets share that loop) and format the answer. Request bodies are streamed: a JSON
body over the limit (``PHYLODASH_JSON_LIMIT_KB``) is refused with 413 before it is read when its
Content-Length says so, and is not kept when it does not; what is kept is read by
:func:`api.json_body.parse_json`. Failed sign-ins are counted per client address
(:class:`~engine.services.throttle.SignInThrottle`): past the limit, a request whose credentials
fail gets 429 with ``Retry-After``; good credentials always pass.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

import tornado.iostream
import tornado.web

from api.auth import Authenticator
from api.json_body import parse_json
from api.page_cache import PageCache
from api.problems import PROBLEM_TYPE, Problem, body, status_of
from engine.errors import UnauthorizedError
from engine.services.root import Service
from engine.storage.records import UserRecord

T = TypeVar("T")
_log = logging.getLogger("api")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def encode(data: Any) -> bytes:
    """Compact JSON, UTF-8."""
    return json.dumps(data, separators=(",", ":")).encode()


class Context:
    """What every handler is initialized with: the service and the authenticator over it, and the folder
    where uploads are spooled (``uploads`` in the data folder)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.uploads = service.settings.data / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.authenticator = Authenticator(service.accounts, service.settings.google_tokeninfo_url,
                                           self.run, service.settings.google_client_id)
        self.pages = PageCache()

    @staticmethod
    async def run(function: Callable[..., T], *args: Any) -> T:
        """Run a blocking call in the default executor, never on the IOLoop."""
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """JSON handler answering errors as problems; subclasses call :meth:`caller` to authenticate."""

    context: Context
    _body: list[bytes]
    _body_size: int

    def initialize(self, context: Context) -> None:
        """Keep the shared context (the route's keyword argument)."""
        self.context = context
        self._body, self._body_size = [], 0

    async def prepare(self) -> None:
        """Refuse a JSON body over the limit before reading it, when its Content-Length tells."""
        limit = self.service.settings.json_limit
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit:
            raise Problem(413, self._body_too_large())
        self.request.connection.set_max_body_size(4 * limit)  # past that, the connection is cut

    def data_received(self, chunk: bytes) -> None:
        self._body_size += len(chunk)
        if self._body_size <= self.service.settings.json_limit:
            self._body.append(chunk)
        else:
            self._body = []  # over the limit: keep nothing; json_body() answers 413

    def _body_too_large(self) -> str:
        return f"the JSON body is larger than the limit of {self.service.settings.json_limit // 1024:,} KB"

    @property
    def service(self) -> Service:
        """The process's service."""
        return self.context.service

    def set_default_headers(self) -> None:
        given = self.request.headers.get("X-Request-Id", "")
        self.set_header("X-Request-Id", given if _REQUEST_ID.fullmatch(given) else str(uuid.uuid4()))
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:
        """Bearer tokens are not sent by browsers on their own: no XSRF cookie is needed."""

    # -- answers ---------------------------------------------------------------------------------

    async def send_json(self, data: Any, status: int = 200) -> None:
        """Answer ``data`` as JSON with ``status`` (encoded off the IOLoop: trees can be large)."""
        self.send_encoded(await self.context.run(encode, data), status)

    def send_encoded(self, body: bytes, status: int = 200) -> None:
        """Answer a JSON document that is encoded already."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(body)

    def send_text(self, text: str, content_type: str = "text/plain; charset=UTF-8") -> None:
        """Answer ``text`` with ``content_type``."""
        self.set_header("Content-Type", content_type)
        self.finish(text)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        mapped = status_of(error) if error is not None else None
        if mapped is not None:
            status_code = mapped
            detail = error.detail if isinstance(error, Problem) else str(error)
        elif isinstance(error, tornado.web.HTTPError) and status_code < 500:
            detail = error.log_message or self._reason
        elif status_code < 500:
            detail = self._reason
        else:
            status_code, detail = 500, "the server failed to answer; the error was logged"
        self.set_status(status_code)
        self.clear_header("Content-Type")
        self.set_header("Content-Type", PROBLEM_TYPE)
        for name, value in getattr(error, "headers", {}).items():
            self.set_header(name, value)
        if status_code == 401:
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.finish(json.dumps(body(status_code, detail)))

    def allowed_methods(self) -> list[str]:
        """The HTTP methods this handler answers."""
        unanswered = tornado.web.RequestHandler
        return [method for method in ("GET", "POST", "PUT", "DELETE")
                if getattr(type(self), method.lower()) is not getattr(unanswered, method.lower())]

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if value is not None and status_of(value) is not None:  # client text, escaped: no forged lines
            _log.info("%s %r: %r", self.request.method, self.request.uri, str(value))
            return
        super().log_exception(typ, value, tb)

    # -- requests --------------------------------------------------------------------------------

    async def caller(self) -> UserRecord:
        """The authenticated user; 401 otherwise, or 429 when this address failed too often lately
        (Google is then not even asked)."""
        throttle, address = self.service.sign_ins, self.request.remote_ip or ""
        provider = self.get_query_argument("provider", None)
        wait = throttle.retry_after(address)
        try:
            if wait and provider not in (None, "local"):
                raise UnauthorizedError("too many failed sign-ins")
            return await self.context.authenticator.user(self.request.headers.get("Authorization"), provider)
        except UnauthorizedError:
            if wait:
                seconds = math.ceil(wait)
                raise Problem(429, f"too many failed sign-ins from this address; try again in {seconds} s",
                              {"Retry-After": str(seconds)}) from None
            throttle.failed(address)
            raise

    def json_body(self) -> Any:
        """The request body parsed as JSON (:func:`~api.json_body.parse_json`): 413 over the size limit,
        400 with a sentence when it is not JSON as the API takes it."""
        if self._body_size > self.service.settings.json_limit:
            raise Problem(413, self._body_too_large())
        return parse_json(b"".join(self._body))

    def page(self) -> int:
        """``?page=N`` (default 0); a 400 problem when N is not a whole number >= 0 of at most 12 digits
        (the OpenAPI document's maximum; ASCII digits only: ``\\d`` would take any script's digits).
        """
        text = self.get_query_argument("page", "0")
        if not re.fullmatch(r"\+?[0-9]{1,12}", text.strip()):
            raise Problem(400, "page must be a whole number >= 0 of at most 12 digits")
        return int(text)

    def paged(self, items: list[Any], page: int) -> list[Any]:
        """Page ``page`` of ``items`` (page size from the settings; empty past the end)."""
        size = self.service.settings.page_size
        return items[page * size:(page + 1) * size]

    async def stream(self, produce: Callable[[BinaryIO], None]) -> None:
        """Answer the bytes ``produce(handle)`` writes to ``handle``, in a thread, chunk by chunk as they
        come (at most a few chunks wait in memory: the writer waits for the network)."""
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
        gone = threading.Event()  # the client left: the writer stops at its next write

        class Handle(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, data: Any) -> int:
                if gone.is_set():
                    raise BrokenPipeError("the client closed the connection")
                asyncio.run_coroutine_threadsafe(chunks.put(bytes(data)), loop).result()
                return len(data)

        def run() -> None:
            try:
                produce(Handle())  # type: ignore[arg-type]
            finally:
                asyncio.run_coroutine_threadsafe(chunks.put(None), loop).result()

        done = loop.run_in_executor(None, run)
        try:
            while (chunk := await chunks.get()) is not None:
                self.write(chunk)
                await self.flush()
        except tornado.iostream.StreamClosedError:
            gone.set()
            while await chunks.get() is not None:  # let the writer reach its end
                pass
            return
        await done  # its error, if any, reaches the caller
        self.finish()

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call off the IOLoop."""
        if kwargs:
            return await self.context.run(lambda: function(*args, **kwargs))
        return await self.context.run(function, *args)

