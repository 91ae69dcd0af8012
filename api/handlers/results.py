"""Inferences and visualizations: lists, one result in the format asked for, soft DELETE."""

from __future__ import annotations

from api.handlers.base import BaseHandler
from api.problems import Problem
from api.wire import (
    inference_summary,
    inference_view,
    visualization_summary,
    visualization_view,
    wrapped_tree,
)
from engine.io.formats import to_graphml, to_newick, to_nexus

TREE_FORMATS = ("json", "newick", "nexus", "graphml")


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
        if tree_format not in TREE_FORMATS:
            raise Problem(400, f"format must be one of {', '.join(TREE_FORMATS)}, not {tree_format[:40]!r}")
        catalog = self.service.catalog
        record = await self.call(catalog.inference, user, project_id, dataset_id, inference_id)
        inference = await self.call(catalog.inference_content, record)
        if tree_format == "json":
            await self.send_json(await self.call(inference_view, record, inference))
        elif tree_format == "graphml":
            self.send_text(await self.call(to_graphml, inference), "application/xml; charset=UTF-8")
        else:
            writer = to_newick if tree_format == "newick" else to_nexus
            await self.send_json(wrapped_tree(record, await self.call(writer, inference)))

    async def delete(self, project_id: str, dataset_id: str, inference_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.catalog.delete_inference, user, project_id, dataset_id, inference_id)
        self.set_status(204)
        self.finish()


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
