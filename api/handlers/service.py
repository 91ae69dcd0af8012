"""Endpoints without authentication: health, the OpenAPI document, the algorithms."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from api.handlers.base import BaseHandler
from api.openapi import openapi_document
from engine.algorithms import registry


def phylodash_version() -> str:
    """The installed PhyloDash version ("unknown" when run from a bare checkout)."""
    try:
        return version("phylodash")
    except PackageNotFoundError:
        return "unknown"


class HealthHandler(BaseHandler):
    """``GET /health``: the server answers."""

    async def get(self) -> None:
        await self.send_json({"status": "ok", "version": phylodash_version()})


class OpenAPIHandler(BaseHandler):
    """``GET /openapi.json``: the OpenAPI 3 document of every endpoint."""

    async def get(self) -> None:
        await self.send_json(openapi_document(phylodash_version()))


class AlgorithmsHandler(BaseHandler):
    """``GET /algorithms``: the registry's inference and visualization algorithms with parameters."""

    async def get(self) -> None:
        await self.send_json(registry.describe())
