"""The demo project's first tree: a goeBURST job on the demo dataset, then its ``grapetree`` layout.

On a server's first start the composition root (:mod:`engine.services.root`) stores the demo dataset
and calls :func:`start_demo_tree`: two real jobs, queued like anyone's, so that a new user who signs
in and opens the Tree tab finds a finished tree and its drawing, and so that the first worker compiles
(or loads) numba's kernels before any user's job needs them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from engine.algorithms.registry import INFERENCE, VISUALIZATION
from engine.errors import PhyloDashError
from engine.jobs.runner import SUCCEEDED
from engine.services.analyses import Analyses, JobRequest
from engine.storage.records import JobRecord, UserRecord

#: The demo's tree: PhyloDB's default goeBURST (lvs 3), drawn with GrapeTree's static layout.
DEMO_INFERENCE = JobRequest(analysis=INFERENCE, algorithm="goeburst", dataset_id="", options={"lvs": 3})
DEMO_LAYOUT = "grapetree"
_log = logging.getLogger(__name__)


def start_demo_tree(analyses: Analyses, owner: UserRecord, project_id: str, dataset_id: str) -> JobRecord:
    """Queue the goeBURST job of the demo dataset and, once it succeeds, the ``grapetree`` layout of its
    tree (both as ``owner``); returns the inference job as queued.

    The layout job is submitted on a thread of its own when the runner announces the inference job's
    end; nothing is submitted when that job fails or is cancelled (the reason is in its record). The
    runner must be started for the jobs to run.
    """
    return _DemoTree(analyses, owner, project_id, dataset_id).start()


class _DemoTree:
    """Follows the demo's inference job and queues its layout when it succeeds."""

    def __init__(self, analyses: Analyses, owner: UserRecord, project_id: str, dataset_id: str) -> None:
        self.analyses, self.owner, self.project_id, self.dataset_id = analyses, owner, project_id, dataset_id
        self.job: JobRecord | None = None
        self.ended: list[JobRecord] = []  # ends announced before the job's id was known
        self.lock = threading.Lock()
        self.unsubscribe: Callable[[], None] | None = None

    def start(self) -> JobRecord:
        request = JobRequest(analysis=DEMO_INFERENCE.analysis, algorithm=DEMO_INFERENCE.algorithm,
                             dataset_id=self.dataset_id, options=DEMO_INFERENCE.options)
        self.unsubscribe = self.analyses.subscribe(self.on_end)
        job = self.analyses.submit(self.owner, self.project_id, request)
        with self.lock:
            self.job = job
            early = [record for record in self.ended if record.id == job.id]
        if early:  # it ended (say, by reusing a result) before submit() returned
            self.on_end(early[0])
        return job

    def on_end(self, record: JobRecord) -> None:
        """The runner's listener: act on the inference job's end, ignore every other job."""
        with self.lock:
            if self.job is None:
                self.ended.append(record)
                return
            if record.id != self.job.id:
                return
        if self.unsubscribe is not None:
            self.unsubscribe()
        if record.status == SUCCEEDED:
            threading.Thread(target=self.lay_out, args=(record,), name="phylodash-demo-layout",
                             daemon=True).start()

    def lay_out(self, record: JobRecord) -> None:
        """Queue the ``grapetree`` layout of the tree that ``record`` computed."""
        layout = JobRequest(analysis=VISUALIZATION, algorithm=DEMO_LAYOUT, dataset_id=self.dataset_id,
                            inference_id=record.analysis_id)
        try:
            self.analyses.submit(self.owner, self.project_id, layout)
        except PhyloDashError:  # the project or the tree was deleted meanwhile
            _log.warning("the demo tree's layout was not queued", exc_info=True)
