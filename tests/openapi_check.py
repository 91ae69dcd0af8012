"""Check an HTTP answer against the OpenAPI document (a helper for the API tests, not a test file).

:func:`check_response` finds the path template a concrete request path matches, the operation of
the method, the declared status and media type, and validates the body with a JSON Schema 2020-12
validator whose ``$ref``s resolve into the whole document. Any mismatch is an AssertionError that
says what was answered and what the document declares.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_DOCUMENT_URI = "urn:phylodash:openapi"
#: What answers a method that a documented path does not have (see the document's description).
_NOT_ALLOWED = "/components/responses/MethodNotAllowed"
_TEMPLATE_PARAMETER = re.compile(r"{[^}/]+}")


def find_path(document: Mapping[str, Any], path: str) -> str:
    """The path template of ``document`` that the request path ``path`` (query string ignored) matches.

    A template with fewer parameters wins, as OpenAPI matches concrete paths before templated ones.
    """
    path = path.split("?", 1)[0]
    matches = [template for template in document["paths"] if _template_pattern(template).fullmatch(path)]
    if not matches:
        raise AssertionError(f"no path of the OpenAPI document matches {path!r}")
    return min(matches, key=lambda template: len(_TEMPLATE_PARAMETER.findall(template)))


def check_response(document: Mapping[str, Any], method: str, path: str, status: int, content_type: str | None,
                   body: Any, headers: Mapping[str, str] | None = None) -> None:
    """Assert that ``document`` declares this answer to ``method path``, and that ``body`` fits its schema.

    ``content_type`` is compared without parameters (``; charset=UTF-8``). ``body`` is the raw
    body (bytes or text; JSON media types are parsed) or an already parsed JSON value. A response
    declared without content must have an empty body and no content type. When ``headers`` are
    given, every header the response declares as required must be there and fit its schema.
    A method the path has no operation for may only be answered 405 (MethodNotAllowed); the body
    of a HEAD answer is not checked, as HTTP sends none.
    """
    template = find_path(document, path)
    where = f"{method.upper()} {path} (path {template}) answered {status}"
    pointer, response = _declared_response(document, template, method.lower(), status, where)
    media = (content_type or "").split(";", 1)[0].strip().lower()
    content = response.get("content") or {}
    if not content:
        if media or body not in (None, b"", ""):
            raise AssertionError(f"{where}: the document declares no body, but got {content_type!r} "
                                 f"and {body!r:.200}")
    elif media not in content:
        raise AssertionError(f"{where}: content type {content_type!r} is not declared; the document "
                             f"declares {', '.join(content)}")
    elif "schema" in content[media] and method.upper() != "HEAD":  # a HEAD answer never has a body
        _validate(document, f"{pointer}/content/{_escape(media)}/schema", _decode(media, body, where),
                  f"{where} with a {media} body")
    if headers is not None:
        _check_headers(document, pointer, response, headers, where)


def _template_pattern(template: str) -> re.Pattern[str]:
    literals = _TEMPLATE_PARAMETER.split(template)
    return re.compile("[^/]+".join(re.escape(literal) for literal in literals))


def _declared_response(document: Mapping[str, Any], template: str, method: str, status: int,
                       where: str) -> tuple[str, dict[str, Any]]:
    """The JSON pointer and the (dereferenced) response object the document declares for this answer."""
    operation = document["paths"][template].get(method)
    if operation is None:
        if status != 405:
            raise AssertionError(f"{where}: the document has no {method.upper()} operation on this path, "
                                 "so only 405 may answer it")
        return _follow(document, _NOT_ALLOWED)
    responses = operation["responses"]
    if str(status) not in responses:
        raise AssertionError(f"{where}: status {status} is not declared; the document declares "
                             f"{', '.join(responses)}")
    return _follow(document, f"/paths/{_escape(template)}/{method}/responses/{status}")


def _check_headers(document: Mapping[str, Any], pointer: str, response: Mapping[str, Any],
                   headers: Mapping[str, str], where: str) -> None:
    sent = {name.lower(): value for name, value in headers.items()}
    for name in response.get("headers", {}):
        header_pointer, header = _follow(document, f"{pointer}/headers/{_escape(name)}")
        value = sent.get(name.lower())
        if value is None:
            if header.get("required"):
                raise AssertionError(f"{where}: the required header {name} is missing")
            continue
        _validate(document, f"{header_pointer}/schema", value, f"{where}: header {name}")


def _follow(document: Mapping[str, Any], pointer: str) -> tuple[str, dict[str, Any]]:
    """The object at ``pointer`` with its ``$ref``s followed, and the pointer it was found at."""
    node = _at(document, pointer)
    while "$ref" in node:
        reference = node["$ref"]
        if not reference.startswith("#/"):
            raise AssertionError(f"only references into the document are supported, not {reference!r}")
        pointer = reference[1:]
        node = _at(document, pointer)
    return pointer, node


def _at(document: Mapping[str, Any], pointer: str) -> Any:
    node: Any = document
    for token in pointer.split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _escape(token: str) -> str:
    """``token`` as one JSON pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def _decode(media: str, body: Any, where: str) -> Any:
    """The body as text, parsed when ``media`` is a JSON type; values already parsed stay as they are."""
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as error:
            raise AssertionError(f"{where}: the body is not UTF-8 ({error})") from None
    if isinstance(body, str) and (media == "application/json" or media.endswith("+json")):
        try:
            return json.loads(body)
        except ValueError as error:
            raise AssertionError(f"{where}: the body is not JSON ({error}): {body!r:.200}") from None
    return body


def _validate(document: Mapping[str, Any], pointer: str, instance: Any, where: str) -> None:
    """Validate ``instance`` against the schema at ``pointer``, its ``$ref``s resolved in ``document``."""
    resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(_DOCUMENT_URI, resource)
    validator = Draft202012Validator({"$ref": f"{_DOCUMENT_URI}#{quote(pointer)}"}, registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = list(validator.iter_errors(instance))
    if errors:
        error = best_match(errors)
        raise AssertionError(f"{where}: does not match #{pointer}: {error.message} (at {error.json_path}; "
                             f"{len(errors)} error(s))")
