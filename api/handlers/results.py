"""Inferences, visualizations and partitions (with the placement report of a version's new isolates):
lists, one result in the format asked for, soft DELETE."""

from __future__ import annotations

from api.handlers.base import BaseHandler
from api.problems import Problem
from api.wire import (
    inference_summary,
    inference_view,
    partition_view,
    placement_view,
    visualization_summary,
    visualization_view,
    wrapped_tree,
)
from engine.algorithms.placement_table import placements_tsv
from engine.io.formats import TREE_FORMATS
from engine.io.partition_table import partition_tsv

#: ``?format=``: every tree format, the default first. ``json`` answers PhyloDB's view of the inference (its
#: edges and Newick, :func:`~api.wire.inference_view`) rather than the engine's JSON file.
FORMAT_NAMES = ("json", *(name for name in TREE_FORMATS if name != "json"))
#: The formats whose text PhyloDB answers wrapped in JSON (:func:`~api.wire.wrapped_tree`); the others
#: are answered as text of their media type.
_WRAPPED = ("newick", "nexus")
#: ``?format=`` of a partition.
PARTITION_FORMATS = ("json", "tsv")


class InferencesHandler(BaseHandler):
    """The live inferences of a dataset."""

    async def get(self, project_id: str, dataset_id: str) -> None:
        user = await self.caller()
        page = self.page()
        found = await self.call(self.service.catalog.inferences, user, project_id, dataset_id)
        await self.send_json([inference_summary(r) for r in self.paged(found, page)])


class InferenceHandler(BaseHandler):
    """One inference as JSON (edges and Newick), Newick or Nexus (wrapped as PhyloDB does) or GraphML."""

    async def get(self, project_id: str, dataset_id: str, inference_id: str) -> None:
        user = await self.caller()
        tree_format = self.get_query_argument("format", "json")
        if tree_format not in FORMAT_NAMES:
            raise Problem(400, f"format must be one of {', '.join(FORMAT_NAMES)}, not {tree_format[:40]!r}")
        catalog = self.service.catalog
        record = await self.call(catalog.inference, user, project_id, dataset_id, inference_id)
        inference = await self.call(catalog.inference_content, record)
        if tree_format == "json":
            await self.send_json(await self.call(inference_view, record, inference))
            return
        tree_file = TREE_FORMATS[tree_format]
        text = await self.call(tree_file.write, inference)
        if tree_format in _WRAPPED:
            await self.send_json(wrapped_tree(record, text))
        else:
            self.send_text(text, f"{tree_file.media_type}; charset=UTF-8")

    async def delete(self, project_id: str, dataset_id: str, inference_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.catalog.delete_inference, user, project_id, dataset_id, inference_id)
        self.set_status(204)
        self.finish()


class PartitionHandler(BaseHandler):
    """One partition: JSON (thresholds, codes per profile, changes, placements) or ``?format=tsv`` (the
    table)."""

    async def get(self, project_id: str, dataset_id: str, inference_id: str, partition_id: str) -> None:
        user = await self.caller()
        table_format = _table_format(self)
        catalog = self.service.catalog
        record = await self.call(catalog.partition, user, project_id, dataset_id, inference_id, partition_id)
        if table_format == "json":
            naming, placements = await self.call(catalog.partition_result, record)
            await self.send_json(await self.call(partition_view, record, naming, placements))
            return
        naming = await self.call(catalog.partition_content, record)
        self.set_header("Content-Disposition", f'attachment; filename="partition-{partition_id}.tsv"')
        text = await self.call(partition_tsv, naming.isolates, naming.thresholds, naming.names)
        self.send_text(text, "text/tab-separated-values; charset=UTF-8")


class PlacementsHandler(BaseHandler):
    """The placement report of a partition's new isolates: JSON (a list) or ``?format=tsv`` (the table);
    404 for a partition of a version computed before reports were kept."""

    async def get(self, project_id: str, dataset_id: str, inference_id: str, partition_id: str) -> None:
        user = await self.caller()
        table_format = _table_format(self)
        catalog = self.service.catalog
        record = await self.call(catalog.partition, user, project_id, dataset_id, inference_id, partition_id)
        report = await self.call(catalog.partition_placements, record)
        if report is None:
            raise Problem(404, f"the partition {record.id} was computed before placement reports were kept; "
                               "run the partition again to place the new isolates")
        if table_format == "json":
            await self.send_json(await self.call(placement_view, report))
            return
        self.set_header("Content-Disposition", f'attachment; filename="placements-{record.id}.tsv"')
        text = await self.call(placements_tsv, report, record.thresholds)
        self.send_text(text, "text/tab-separated-values; charset=UTF-8")


def _table_format(handler: BaseHandler) -> str:
    """The ``?format=`` of a partition or its placements (json by default); a Problem 400 for another."""
    table_format = handler.get_query_argument("format", "json")
    if table_format not in PARTITION_FORMATS:
        raise Problem(400, f"format must be one of {', '.join(PARTITION_FORMATS)}, not {table_format[:40]!r}")
    return table_format


class VisualizationsHandler(BaseHandler):
    """The live visualizations of an inference."""

    async def get(self, project_id: str, dataset_id: str, inference_id: str) -> None:
        user = await self.caller()
        page = self.page()
        found = await self.call(self.service.catalog.visualizations, user, project_id, dataset_id,
                                inference_id)
        await self.send_json([visualization_summary(r) for r in self.paged(found, page)])


class VisualizationHandler(BaseHandler):
    """One visualization with its coordinates; DELETE deprecates it."""

    async def get(self, project_id: str, dataset_id: str, inference_id: str, visualization_id: str) -> None:
        user = await self.caller()
        catalog = self.service.catalog
        record = await self.call(catalog.visualization, user, project_id, dataset_id, inference_id,
                                 visualization_id)
        layout = await self.call(catalog.layout_content, record)
        await self.send_json(await self.call(visualization_view, record, layout))

    async def delete(self, project_id: str, dataset_id: str, inference_id: str,
                     visualization_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.catalog.delete_visualization, user, project_id, dataset_id,
                        inference_id, visualization_id)
        self.set_status(204)
        self.finish()
