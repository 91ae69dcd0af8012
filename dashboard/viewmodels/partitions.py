"""Launching a partition (cluster codes at many thresholds) of the open tree as a job."""

from __future__ import annotations

from typing import Any

import param

from dashboard.session import SessionModel, part
from dashboard.text import plain
from dashboard.viewmodels.jobs import JobWatcher
from dashboard.viewmodels.naming import parse_thresholds
from dashboard.viewmodels.tree import TreeState
from engine.errors import PhyloDashError
from engine.services.analyses import JobRequest
from engine.services.surveillance import CLUSTER_CODES, PARTITION


class PartitionLauncher(SessionModel):
    """A partition of the open tree at the thresholds typed, run as a job."""

    thresholds = param.String("5, 10, 25", label="Thresholds",
                              doc="Distances at which to cut the tree, e.g. 5, 10, 25 (empty: 0 to 100, then "
                                  "coarser up to the number of loci).")
    launch = param.Event(label="Compute cluster codes", doc="Queue the partition job.")
    message = param.String("", doc="What happened to the last launch (Markdown).")
    tree = part(TreeState, "The open tree.")
    jobs = part(JobWatcher, "The project's jobs (refreshed after a launch).")

    def _init_callbacks(self) -> None:
        self.param.watch(self._on_launch, "launch")

    async def _on_launch(self, _event: object) -> None:
        tree = self.tree
        if tree.status != "open" or tree.dataset_id is None or tree.inference_id is None:
            self.message = "**Open a tree first.**"
            return
        try:
            options: dict[str, Any] = {}
            if self.thresholds.strip():
                options["thresholds"] = parse_thresholds(self.thresholds)
        except ValueError as error:
            self.message = f"**{plain(error)}**"
            return
        request = JobRequest(PARTITION, CLUSTER_CODES, tree.dataset_id, tree.inference_id, options)
        submit, user, project = self.session.service.analyses.submit, self.session.user, tree.picker.project
        try:
            job = await self.session.run(submit, user, project, request)
        except PhyloDashError as error:
            self.message = f"**The partition was not queued:** {plain(error)}"
            return
        self.message = (f"Partition queued (job {job.id[:8]}). Open it from the **Jobs** tab when it has "
                        "finished: the tree opens coloured by its clusters.")
        await self.jobs.load()
