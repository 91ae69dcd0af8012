"""Access rules (api.md section 2) and hostile paths and ids (section 1) on every endpoint that needs a token.

The endpoint table is the served OpenAPI document's operations under ``/projects`` and ``/users``
(checked against :func:`api.routes.make_routes` and the handlers' methods, so a new endpoint is
covered, or this file fails, as soon as it is served). Every refused request is checked to have
changed nothing: every record of every table, the data folder's files and a sentinel file next to
the data folder are compared before and after, and an audit hook records every file the server
process opens, creates, renames or removes meanwhile.

Which refusal comes first (api.md and the handlers in api/ and engine/catalog.py):

1. credentials: a missing, malformed, revoked or rejected token, or an unknown provider, is 401 on
   every endpoint, before anything else is looked at;
2. the project id: one that is not a well-formed (lower-case, canonical) UUID is 404 for every
   caller, since nothing about any project is revealed by it;
3. access to the project: a caller who may not use it (not an admin, not a member, and the project
   private, or unknown though well-formed) gets 401 on every path below it, so 401 hides whether it
   exists; a non-member who writes to a public project gets 403;
4. the ids below the project (dataset, inference, visualization, job): not a UUID, or unknown: 404.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import numpy as np
import pytest
import tornado.web
from api_client import DOCUMENT, FIXTURES, ApiTestCase, multipart
from fake_google import FakeTokenInfo
from live_server import job_request
from tornado.httpclient import HTTPClientError, HTTPResponse

from api import cli
from api.routes import make_routes
from engine.services.accounts import hash_token
from engine.storage.records import RECORD_TYPES, StoredRecord
from engine.storage.store import TinyDBStore

PROFILES = (FIXTURES / "profiles.tsv").read_bytes()
ISOLATES = (FIXTURES / "isolates.tsv").read_bytes()
METHODS = ("GET", "POST", "PUT", "DELETE")
PROTECTED = ("projects", "users")  # api.md section 2: every endpoint under these needs a token
PARAMETER = re.compile(r"{(\w+)}")
CHALLENGE = 'Bearer error="invalid_token"'
PROBLEM = "application/problem+json"
HUGE = 100_000  # characters of a huge query value


# -- the endpoint table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One operation the API serves: ``method`` on the OpenAPI path ``template``."""

    method: str
    template: str
    query: tuple[str, ...]  # the query parameters the document gives it (besides the provider)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The path parameters, outermost first (``project``, ``dataset``, ...)."""
        return tuple(PARAMETER.findall(self.template))

    @property
    def in_project(self) -> bool:
        """Whether the path is one of a project's (the access rules of a project apply)."""
        return "project" in self.parameters

    @property
    def writes(self) -> bool:
        """Whether the operation changes something (so a non-member of a public project gets 403)."""
        return self.method != "GET"

    def path(self, ids: dict[str, str], **replaced: str) -> str:
        """The concrete path: ``ids`` filled in, with the ``replaced`` ones instead."""
        return self.template.format(**{**ids, **replaced})

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def _query_names(operation: dict[str, Any]) -> tuple[str, ...]:
    refs = (parameter.get("$ref", "") for parameter in operation.get("parameters", []))
    return tuple(ref.rsplit("/", 1)[-1] for ref in refs if ref.rsplit("/", 1)[-1] in ("page", "format"))


ENDPOINTS: tuple[Endpoint, ...] = tuple(
    Endpoint(method.upper(), template, _query_names(item[method]))
    for template, item in DOCUMENT["paths"].items()
    if template.split("/")[1] in PROTECTED
    for method in ("get", "post", "put", "delete")
    if method in item
)
PAGED = tuple(endpoint for endpoint in ENDPOINTS if "page" in endpoint.query)
FORMATTED = tuple(endpoint for endpoint in ENDPOINTS if "format" in endpoint.query)


def implemented(handler: type) -> list[str]:
    """The HTTP methods a handler class answers (those it overrides)."""
    base = tornado.web.RequestHandler
    return [method for method in METHODS
            if getattr(handler, method.lower()) is not getattr(base, method.lower())]


@dataclass(frozen=True)
class Sent:
    """A request body and its media type."""

    raw: bytes
    content_type: str

    @classmethod
    def json(cls, value: Any) -> Sent:
        """``value`` as a JSON body."""
        return cls(json.dumps(value).encode(), "application/json")


def _project_body(ids: dict[str, str]) -> Sent:
    return Sent.json({"name": "Changed", "description": "by a test", "visibility": "public",
                      "users": ["intruder@example.org"]})


def _job_body(ids: dict[str, str]) -> Sent:
    return Sent.json(job_request("goeburst", ids["dataset"], 2))


def _upload_body(ids: dict[str, str]) -> Sent:
    return Sent(*multipart({"profiles": ("profiles.tsv", PROFILES)}, {"name": "intruder's data"}))


#: A valid body of every operation that takes one: refusals must not come from a bad body.
BODIES: dict[tuple[str, str], Callable[[dict[str, str]], Sent]] = {
    ("POST", "/projects"): _project_body,
    ("PUT", "/projects/{project}"): _project_body,
    ("POST", "/projects/{project}/jobs"): _job_body,
    ("POST", "/projects/{project}/datasets"): _upload_body,
}

# -- credentials and ids that must be refused -----------------------------------------------------

#: (what, Authorization header or None, provider or None); ``{revoked}`` and ``{ana}`` are tokens.
BAD_CREDENTIALS: tuple[tuple[str, str | None, str | None], ...] = (
    ("no Authorization header", None, None),
    ("Bearer alone", "Bearer", None),
    ("Bearer and blanks", "Bearer    ", None),
    ("Basic credentials", "Basic YW5hOnNlY3JldA==", None),
    ("a local token as Basic", "Basic {ana}", None),
    ("a token with spaces", "Bearer pd_abc def", None),
    ("a non-ASCII token", "Bearer pd_t\u00f6k\u00e9n", None),
    ("a 10 kB token", "Bearer " + "a" * 10_240, None),
    ("a revoked local token", "Bearer {revoked}", None),
    ("an expired Google token", "Bearer google-expired", "google"),
    ("a Google token without the email scope", "Bearer google-no-scope", "google"),
    ("a local token checked by Google", "Bearer {ana}", "google"),
    ("an unknown provider", "Bearer {ana}", "keycloak"),
)

#: Path segments (as sent, URL-encoded) that are not a well-formed id, made from the real id.
NOT_UUIDS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("a number", lambda real: "42"),
    ("..", lambda real: ".."),
    ("%2e%2e", lambda real: "%2e%2e"),
    ("an encoded traversal", lambda real: "..%2F..%2Fetc"),
    ("a traversal after the id", lambda real: f"{real}%2F..%2F..%2Fphylodash.json"),
    ("a 5 kB string", lambda real: "f" * 5_000),
    ("SQL", lambda real: quote("' OR 1=1 --", safe="")),
    ("a NUL byte", lambda real: "%00"),
    ("the id in upper case", lambda real: real.upper()),
    ("the id in braces", lambda real: quote("{" + real + "}", safe="")),
    ("the id without hyphens", lambda real: real.replace("-", "")),
)

BAD_PAGES = ("-1", "1.5", "1e9", "abc", "0x10", "%D9%A1", "9" * 13)  # %D9%A1: an Arabic-Indic digit
FAR_PAGES = ("1000000000", "9" * 12)  # whole numbers within the documented 12 digits: a page past the end


# -- what the server process touches --------------------------------------------------------------

_AUDITED = {"open", "os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.truncate", "os.symlink", "os.link",
            "os.chmod", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move"}
_touched: list[tuple[str, str]] | None = None


def _audit(event: str, arguments: tuple[Any, ...]) -> None:
    if _touched is not None and event in _AUDITED:
        for argument in arguments[:1] if event == "open" else arguments[:2]:  # open's second is its mode
            if isinstance(argument, str | bytes | os.PathLike):
                _touched.append((event, os.fsdecode(argument)))


sys.addaudithook(_audit)  # inert (one comparison) outside watch_files()


@contextlib.contextmanager
def watch_files() -> Iterator[list[tuple[str, str]]]:
    """Every ``(event, path)`` of a file opened, created, renamed or removed in this process meanwhile."""
    global _touched
    _touched = found = []
    try:
        yield found
    finally:
        _touched = None


def outside(touched: list[tuple[str, str]], folder: Path) -> list[tuple[str, str]]:
    """The touched paths outside ``folder``, but for code: reading Python imported lazily, and the
    compile caches in ``__pycache__`` folders, where numba reads and (on a clean checkout, when a
    kernel is used for the first time) writes the machine code of a kernel (``.nbi``, ``.nbc``)."""
    code = (".py", ".pyc", ".so", ".nbi", ".nbc")
    return [(event, path) for event, path in touched
            if not Path(path).resolve().is_relative_to(folder.resolve())
            and not (event == "open" and path.endswith(code))
            and "__pycache__" not in Path(path).parts]


# -- the test cases --------------------------------------------------------------------------------


class AccessCase(ApiTestCase):
    """A service whose Google token-info endpoint is the fake one, with users Ana and Bo.

    Bo's first token was revoked by a new one. A sentinel file lies next to the data folder.
    """

    def extra_settings(self) -> dict[str, Any]:
        # These cases send hundreds of bad credentials on purpose, all from 127.0.0.1: the sign-in
        # throttle (tested in test_hostile.py) would answer them 429 instead of the 401 checked here.
        return {**super().extra_settings(), "sign_in_failures": 100_000,
                "google_tokeninfo_url": f"http://127.0.0.1:{self.get_http_port()}/tokeninfo"}

    def get_app(self) -> tornado.web.Application:
        app = super().get_app()
        app.add_handlers(r".*", [(r"/tokeninfo", FakeTokenInfo)])
        return app

    def setUp(self) -> None:
        super().setUp()
        accounts = self.service.accounts
        self.ana = accounts.add("ana@example.org")[1]
        self.revoked = accounts.add("bo@example.org")[1]
        self.bo = accounts.new_token("bo@example.org")
        self.sentinel = self.folder.parent / f"{self.folder.name}.sentinel"
        self.sentinel.write_text("outside the data folder")
        self.addCleanup(self.sentinel.unlink, missing_ok=True)

    def token(self, name: str) -> str:
        """The token called ``name`` in this case (``admin``, ``ana``, ``bo``, ``revoked``)."""
        return self.admin if name == "admin" else str(getattr(self, name))

    def snapshot(self) -> tuple[dict[str, list[StoredRecord]], list[tuple[str, int, int]], tuple[bytes, int]]:
        """Every record of every table, the data folder's files (size, mtime) and the sentinel file."""
        records = {table: self.service.store.select(kind) for table, kind in RECORD_TYPES.items()}
        files = sorted((str(path.relative_to(self.folder)), path.stat().st_size, path.stat().st_mtime_ns)
                       for path in self.folder.rglob("*"))
        return records, files, (self.sentinel.read_bytes(), self.sentinel.stat().st_mtime_ns)

    def assert_problem(self, response: HTTPResponse, status: int, what: str) -> dict[str, str]:
        """``response`` is a ``status`` problem (401s with the bearer challenge); its body."""
        assert response.code == status, (what, response.code, response.body[:300])
        assert response.headers["Content-Type"] == PROBLEM, what
        problem = json.loads(response.body)
        assert set(problem) == {"message", "detail"} and problem["detail"], (what, problem)
        if status == 401:
            assert response.headers["WWW-Authenticate"] == CHALLENGE, what
            assert problem["message"] == "unauthorized", (what, problem)
        return problem

    @contextlib.contextmanager
    def unchanged(self, what: str) -> Iterator[None]:
        """Assert that the block changes no record, no file of the data folder and no file outside it."""
        before = self.snapshot()
        with watch_files() as touched:
            yield
        assert self.snapshot() == before, f"{what} changed the store, the data folder or the sentinel"
        assert not outside(touched, self.folder), (what, outside(touched, self.folder))


class WorldCase(AccessCase):
    """Ana's private project and her public one, each with a dataset, a goeBURST inference (and its
    finished job) and a radial visualization; ``self.private`` and ``self.public`` are their ids.
    """

    def setUp(self) -> None:
        super().setUp()
        self.private = self.project_with_results("private")
        self.public = self.project_with_results("public")

    def project_with_results(self, visibility: str) -> dict[str, str]:
        """A project of Ana's with a dataset, an inference and a visualization: the ids by parameter name."""
        project = self.project(token=self.ana, visibility=visibility)
        dataset = self.upload(project, PROFILES, ISOLATES, token=self.ana)["id"]
        inference = self.finished(project, job_request("goeburst", dataset, 3))
        visualization = self.finished(project, job_request("radial", dataset, inference["analysis_id"]))
        return {"project": project, "dataset": dataset, "inference": inference["analysis_id"],
                "visualization": visualization["analysis_id"], "job": inference["job_id"]}

    def finished(self, project: str, body: dict[str, Any]) -> dict[str, str]:
        """Run a job of Ana's to success: ``{job_id, analysis_id}``."""
        created = self.json("POST", f"/projects/{project}/jobs", body, expect=202, token=self.ana)
        assert self.wait_job(project, created["job_id"])["status"] == "succeeded"
        return created

    def send(self, endpoint: Endpoint, path: str, *, authorization: str | None,
             query: str = "") -> HTTPResponse:
        """``endpoint``'s request on ``path`` with these credentials (and, if it takes one, its valid
        body, made for Ana's private project).
        """
        headers = {} if authorization is None else {"Authorization": authorization}
        raw = None
        if (endpoint.method, endpoint.template) in BODIES:
            sent = BODIES[endpoint.method, endpoint.template](self.private)
            raw, headers["Content-Type"] = sent.raw, sent.content_type
        return self.call(endpoint.method, path + query, token=None, headers=headers, raw=raw)

    def as_user(self, endpoint: Endpoint, path: str, name: str, query: str = "") -> HTTPResponse:
        """``endpoint``'s request with the bearer token called ``name``."""
        return self.send(endpoint, path, authorization=f"Bearer {self.token(name)}", query=query)


class EndpointTable(AccessCase):
    def test_the_table_is_every_served_route_and_every_write_has_a_body(self) -> None:
        served = set()
        for pattern, handler, _ in make_routes(self.service):
            templates = [t for t in DOCUMENT["paths"]
                         if re.fullmatch(pattern, PARAMETER.sub(str(uuid.uuid4()), t))]
            assert len(templates) == 1, (pattern, templates)
            if templates[0].split("/")[1] in PROTECTED:
                served |= {(method, templates[0]) for method in implemented(handler)}
        assert served == {(endpoint.method, endpoint.template) for endpoint in ENDPOINTS}
        assert len(ENDPOINTS) >= 24 and PAGED and FORMATTED
        writes = {(e.method, e.template) for e in ENDPOINTS if e.method in ("POST", "PUT")}
        assert writes == set(BODIES), "give every POST and PUT a valid body in BODIES"


class Credentials(WorldCase):
    def test_bad_credentials_are_401_on_every_endpoint_and_change_nothing(self) -> None:
        for endpoint in ENDPOINTS:
            path = endpoint.path(self.private)
            for what, header, provider in BAD_CREDENTIALS:
                with self.subTest(endpoint=str(endpoint), credentials=what):
                    authorization = None if header is None else header.format(ana=self.ana,
                                                                             revoked=self.revoked)
                    query = "" if provider is None else f"?provider={provider}"
                    with self.unchanged(f"{endpoint} with {what}"):
                        response = self.send(endpoint, path, authorization=authorization, query=query)
                    self.assert_problem(response, 401, f"{endpoint} with {what}")


class Strangers(WorldCase):
    def test_a_private_project_is_401_to_a_stranger_on_every_path_as_if_it_did_not_exist(self) -> None:
        unknown = {name: str(uuid.uuid4()) for name in self.private}
        for endpoint in filter(lambda e: e.in_project, ENDPOINTS):
            with self.subTest(endpoint=str(endpoint)), self.unchanged(f"Bo on {endpoint}"):
                private = self.assert_problem(self.as_user(endpoint, endpoint.path(self.private), "bo"),
                                              401, f"Bo on Ana's private {endpoint}")
                nowhere = self.assert_problem(self.as_user(endpoint, endpoint.path(unknown), "bo"),
                                              401, f"Bo on an unknown {endpoint}")
                assert private == nowhere, (str(endpoint), private, nowhere)

    def test_a_public_project_is_readable_by_a_stranger_and_403_to_his_writes(self) -> None:
        for endpoint in filter(lambda e: e.in_project, ENDPOINTS):
            with self.subTest(endpoint=str(endpoint)), self.unchanged(f"Bo on {endpoint}"):
                response = self.as_user(endpoint, endpoint.path(self.public), "bo")
                if endpoint.writes:
                    problem = self.assert_problem(response, 403, f"Bo writing {endpoint}")
                    assert problem["message"] == "forbidden", problem
                else:
                    assert response.code == 200, (str(endpoint), response.code, response.body[:300])


class PathsAndIds(WorldCase):
    """Ids that are not UUIDs, unknown ids, bad pages and huge query values.

    A query value of 100 kB makes the request head larger than Tornado's default limit (64 KiB), above
    which Tornado closes the connection before any handler runs (see :class:`DefaultHeadLimit`); this
    server takes heads up to 1 MiB, so that the handlers answer them.
    """

    def get_httpserver_options(self) -> dict[str, Any]:
        return {"max_header_size": 2**20}

    def expected(self, position: str, caller: str) -> int:
        """The answer to a path whose ``position`` id is not a UUID (the order of the module docstring).

        An admin or a member gets 404 wherever the bad id is; a stranger to the (private) project gets
        404 for a bad project id, which reveals nothing, and 401 for a bad id below it, as the
        project is refused before the ids below it are looked at.
        """
        return 404 if position == "project" or caller in ("admin", "ana") else 401

    def test_ids_that_are_not_uuids_are_404_or_401_never_500_and_touch_nothing(self) -> None:
        for endpoint in ENDPOINTS:
            for position in endpoint.parameters:
                for what, bad in NOT_UUIDS:
                    path = endpoint.path(self.private, **{position: bad(self.private[position])})
                    for caller in ("ana", "bo") if position == "project" else ("ana",):
                        with self.subTest(endpoint=str(endpoint), id=position, value=what, caller=caller), \
                                self.unchanged(f"{caller}: {endpoint} with {what} as {position}"):
                            self.assert_problem(self.as_user(endpoint, path, caller),
                                                self.expected(position, caller), f"{path[:200]} by {caller}")

    def test_unknown_well_formed_ids_are_404_but_an_unknown_project_is_401_to_non_admins(self) -> None:
        for endpoint in ENDPOINTS:
            for position in endpoint.parameters:
                path = endpoint.path(self.private, **{position: str(uuid.uuid4())})
                for caller in ("admin", "ana"):
                    status = 401 if position == "project" and caller != "admin" else 404
                    with self.subTest(endpoint=str(endpoint), id=position, caller=caller), \
                            self.unchanged(f"{caller}: {endpoint} with an unknown {position}"):
                        self.assert_problem(self.as_user(endpoint, path, caller), status,
                                            f"{path} by {caller}")

    def test_bad_pages_are_400_and_a_far_page_is_an_empty_list(self) -> None:
        for endpoint in PAGED:
            path = endpoint.path(self.private)
            for page in BAD_PAGES + FAR_PAGES:
                with self.subTest(endpoint=str(endpoint), page=page), self.unchanged(f"{path}?page={page}"):
                    response = self.as_user(endpoint, path, "admin", f"?page={page}")
                    if page in FAR_PAGES:
                        assert (response.code, json.loads(response.body)) == (200, []), (path, page)
                    else:
                        self.assert_problem(response, 400, f"{path}?page={page}")

    def test_huge_page_format_and_provider_values_are_4xx(self) -> None:
        huge = "9" * HUGE
        cases = [(e, "page", "admin", 400) for e in PAGED] + [(e, "format", "admin", 400) for e in FORMATTED]
        cases += [(e, "provider", "ana", 401) for e in ENDPOINTS]
        for endpoint, name, caller, status in cases:
            path = endpoint.path(self.private)
            with self.subTest(endpoint=str(endpoint), query=name), self.unchanged(f"{endpoint} huge {name}"):
                self.assert_problem(self.as_user(endpoint, path, caller, f"?{name}={huge}"), status,
                                    f"{endpoint} with a huge {name}")


class DefaultHeadLimit(AccessCase):
    def test_a_request_head_over_tornados_limit_is_dropped_without_a_500(self) -> None:
        """Tornado (as ``panel serve`` runs it) closes the connection of a head over 64 KiB, unanswered."""
        for name in ("page", "format", "provider"):
            with self.subTest(query=name), self.unchanged(f"a huge {name}"):
                try:
                    response = self.fetch(f"/projects?{name}={'9' * HUGE}", raise_error=False,
                                          headers={"Authorization": f"Bearer {self.ana}"})
                except HTTPClientError as error:  # the connection was closed, no answer
                    assert error.code == 599, error
                else:
                    assert 400 <= response.code < 500, response.code
            assert self.call("GET", "/health", token=None).code == 200


class TokenStorage(AccessCase):
    def test_tokens_are_stored_only_as_their_sha256(self) -> None:
        environment = {"PHYLODASH_DATA": str(self.folder)}
        printed = io.StringIO()
        with mock.patch.dict(os.environ, environment), contextlib.redirect_stdout(printed):
            assert cli.main(["users", "add", "cy@example.org"]) == 0
            first = printed.getvalue().splitlines()[-1]
            assert cli.main(["users", "token", "cy@example.org"]) == 0
        cy = printed.getvalue().splitlines()[-1]
        assert self.json("GET", "/users/me", token=cy)["email"] == "cy@example.org"
        assert self.json("GET", "/users/me?provider=google", token="google-good")["email"] == "gi@example.org"
        current = (self.admin, self.ana, self.bo, cy)
        stored = b"".join(path.read_bytes() for path in self.folder.rglob("*") if path.is_file())
        for token in (*current, first, self.revoked, "google-good"):
            assert token.encode() not in stored, "a token is stored as it is"
        for token in current:
            assert hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
            assert hash_token(token).encode() in stored
        assert hash_token(first).encode() not in stored and hash_token(self.revoked).encode() not in stored

    def test_every_stored_hash_is_compared_with_hmac_compare_digest_whatever_the_token(self) -> None:
        self.json("GET", "/users/me?provider=google", token="google-good")  # a user without a token hash
        users = self.service.accounts.all()
        hashes = {user.token_hash for user in users if user.token_hash}
        assert len(users) == 4 and len(hashes) == 3
        tokens = (("the first user's", self.admin, 200), ("the last local user's", self.bo, 200),
                  ("a revoked", self.revoked, 401), ("an unknown", "pd_" + "x" * 43, 401),
                  ("a malformed-looking", "'; --", 401))
        for what, token, status in tokens:
            with self.subTest(token=what):
                with mock.patch("hmac.compare_digest", side_effect=hmac.compare_digest) as compare:
                    assert self.call("GET", "/users/me", token=token).code == status
                compared = compare.call_args_list
                assert len(compared) == len(users), (what, compared)  # one comparison per user, always
                assert {call.args[0] for call in compared} == {hash_token(token)}, what
                assert hashes <= {call.args[1] for call in compared}, what


# -- the store's array keys ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ["..", "../secret", "datasets/../../secret", "datasets/..", "/etc/passwd",
                                 "datasets/%2e%2e/secret", "datasets\\..\\..\\secret", "", "datasets/\0",
                                 "datasets/./x", "~/secret"])
def test_array_keys_cannot_leave_the_blobs_folder(tmp_path: Path, key: str) -> None:
    store = TinyDBStore(tmp_path / "data")
    np.savez(tmp_path / "secret.npz", a=np.zeros(1))
    np.savez(tmp_path / "data" / "secret.npz", a=np.zeros(1))
    before = sorted((str(p), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    for use in (store.get_arrays, store.arrays_reader().get, store.delete_arrays,
                lambda k: store.put_arrays(k, {"a": np.ones(1)})):
        with pytest.raises(ValueError, match="bad array key"):
            use(key)
    assert sorted((str(p), p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before
