"""The URL table of the REST API: path patterns, their handlers and the shared context."""

from __future__ import annotations

from typing import Any

from api.handlers.base import Context
from api.handlers.datasets import (
    DatasetHandler,
    DatasetsHandler,
    DistancesHandler,
    IsolatesHandler,
    ProfilesFileHandler,
    ProfilesHandler,
    VersionsHandler,
)
from api.handlers.jobs import JobHandler, JobsHandler
from api.handlers.projects import ProjectHandler, ProjectsHandler
from api.handlers.results import (
    InferenceHandler,
    InferencesHandler,
    PartitionHandler,
    PlacementsHandler,
    VisualizationHandler,
    VisualizationsHandler,
)
from api.handlers.service import AlgorithmsHandler, HealthHandler, OpenAPIHandler
from api.handlers.users import MeHandler, UsersHandler
from engine.services.root import Service

_ID = r"([^/]+)"
_PROJECT = rf"/projects/{_ID}"
_DATASET = rf"{_PROJECT}/datasets/{_ID}"
_INFERENCE = rf"{_DATASET}/inferences/{_ID}"

Route = tuple[str, type, dict[str, Any]]


def make_routes(service: Service) -> list[Route]:
    """Every endpoint of api.md as ``(pattern, handler, kwargs)`` for Tornado or ``panel serve --plugins``."""
    table: list[tuple[str, type]] = [
        (r"/health", HealthHandler),
        (r"/openapi\.json", OpenAPIHandler),
        (r"/algorithms", AlgorithmsHandler),
        (r"/users", UsersHandler),
        (r"/users/me", MeHandler),
        (r"/projects", ProjectsHandler),
        (_PROJECT, ProjectHandler),
        (rf"{_PROJECT}/jobs", JobsHandler),
        (rf"{_PROJECT}/jobs/{_ID}", JobHandler),
        (rf"{_PROJECT}/datasets", DatasetsHandler),
        (_DATASET, DatasetHandler),
        (rf"{_DATASET}/versions", VersionsHandler),
        (rf"{_DATASET}/profiles", ProfilesHandler),
        (rf"{_DATASET}/profiles/files", ProfilesFileHandler),
        (rf"{_DATASET}/distances", DistancesHandler),
        (rf"{_DATASET}/isolates", IsolatesHandler),
        (rf"{_DATASET}/inferences", InferencesHandler),
        (_INFERENCE, InferenceHandler),
        (rf"{_INFERENCE}/visualizations", VisualizationsHandler),
        (rf"{_INFERENCE}/visualizations/{_ID}", VisualizationHandler),
        (rf"{_INFERENCE}/partitions/{_ID}", PartitionHandler),
        (rf"{_INFERENCE}/partitions/{_ID}/placements", PlacementsHandler),
    ]
    context = {"context": Context(service)}
    return [(pattern, handler, context) for pattern, handler in table]
