"""The launch form: an analysis, a registry algorithm with its options, the dataset (and for a drawing
the tree to lay out); ``launch`` submits the engine's :class:`~engine.services.analyses.JobRequest`."""

from __future__ import annotations

from typing import Any

import param

from dashboard.session import SessionModel, part
from dashboard.text import plain
from dashboard.viewmodels.jobs import JobWatcher
from dashboard.viewmodels.projects import ProjectPicker
from engine.algorithms import registry
from engine.algorithms.parameters import AlgorithmParameters, parameter_names
from engine.errors import PhyloDashError
from engine.services.analyses import JobRequest
from engine.storage.records import DatasetRecord, InferenceRecord


def dataset_label(dataset: DatasetRecord) -> str:
    """How the form names a dataset: ``Name (1,234 profiles)``."""
    return f"{dataset.name} ({dataset.profile_count:,} profiles)"


def inference_label(inference: InferenceRecord) -> str:
    """How the form names a tree to draw: its algorithm, options and creation time (to the minute)."""
    options = ", ".join(f"{k}={v}" for k, v in inference.parameters.items() if v is not None)
    return f"{inference.algorithm} {options} ({inference.created[:16].replace('T', ' ')})"


def option_values(parameters: AlgorithmParameters) -> dict[str, Any]:
    """The options an algorithm's parameter object holds, by name."""
    return {name: getattr(parameters, name) for name in parameter_names(type(parameters))}


class JobForm(SessionModel):
    """What to compute next; choices, defaults, bounds and help all come from the engine's registry."""

    analysis = param.Selector(objects=[registry.INFERENCE, registry.VISUALIZATION],
                              default=registry.INFERENCE, label="Analysis",
                              doc="inference: a tree from a dataset; visualization: a layout of a tree.")
    algorithm = param.Selector(objects=registry.names(registry.INFERENCE),
                               default=registry.names(registry.INFERENCE)[0], label="Algorithm",
                               doc="A registry algorithm of the analysis.")
    about = param.String("", precedence=-1, doc="The algorithm's one-line description (plain text).")
    parameters = param.ClassSelector(class_=AlgorithmParameters, precedence=-1,
                                     doc="The algorithm's options: an instance of its registry "
                                     "parameter class.")
    dataset = param.Selector(objects={}, default=None, allow_None=True, check_on_set=True, label="Dataset",
                             doc="The dataset to compute on (its id).")
    inference = param.Selector(objects={}, default=None, allow_None=True, check_on_set=True,
                               label="Tree to draw", doc="A finished inference of the dataset.")
    launch = param.Event(label="Launch", doc="Submit the job.")
    message = param.String("", doc="What the last launch did, or why it failed (Markdown).")

    picker = part(ProjectPicker, "The project and its datasets.")
    jobs = part(JobWatcher, "The project's jobs: read again after a launch; their trees are offered.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._algorithm_chosen()

    def _init_callbacks(self) -> None:
        self.param.watch(self._analysis_chosen, "analysis")
        self.param.watch(self._algorithm_chosen, "algorithm")
        self.picker.param.watch(self._datasets_read, "datasets")
        self.param.watch(self._on_dataset, "dataset")
        self.jobs.param.watch(self._on_dataset, "trees")  # a tree was finished or removed
        self.param.watch(self._on_launch, "launch")

    @property
    def drawing(self) -> bool:
        """True when the form lays out a tree (a visualization)."""
        return self.analysis == registry.VISUALIZATION

    def _analysis_chosen(self, _event: object = None) -> None:
        names = registry.names(self.analysis)
        self.param.algorithm.objects = names
        self.algorithm = names[0]

    def _algorithm_chosen(self, _event: object = None) -> None:
        algorithm = registry.get(self.algorithm)
        self.param.update(about=algorithm.description, parameters=algorithm.parameters(name=algorithm.name))

    def _datasets_read(self, _event: object = None) -> None:
        options = {dataset_label(d): d.id for d in self.picker.datasets}
        self.param.dataset.objects = options
        ids = list(options.values())
        self.dataset = self.dataset if self.dataset in ids else (ids[0] if ids else None)

    async def _on_dataset(self, _event: object = None) -> None:
        await self.read_inferences()

    async def read_inferences(self) -> None:
        """Offer the finished inferences of the dataset for drawing, newest first."""
        inferences: list[InferenceRecord] = []
        if self.session.user is not None and self.dataset:
            try:
                inferences = await self.session.run(self.session.service.catalog.inferences,
                                                    self.session.user, self.picker.project, self.dataset)
            except PhyloDashError:  # the dataset went away meanwhile: nothing to draw
                inferences = []
        options = {inference_label(r): r.id for r in reversed(inferences)}
        self.param.inference.objects = options
        ids = list(options.values())
        self.inference = self.inference if self.inference in ids else (ids[0] if ids else None)

    def request(self) -> JobRequest:
        """The job request the form describes."""
        return JobRequest(self.analysis, self.algorithm, self.dataset,
                          self.inference if self.drawing else None, option_values(self.parameters))

    async def _on_launch(self, _event: object) -> None:
        if not self.dataset or (self.drawing and not self.inference):
            self.message = "**Choose a dataset** (and, for a drawing, a finished tree) first."
            return
        try:
            job = await self.session.run(self.session.service.analyses.submit, self.session.user,
                                         self.picker.project, self.request())
        except PhyloDashError as error:
            self.message = f"**The job was not launched:** {plain(error)}"
            return
        reused = " (an identical earlier result was reused)" if job.reused_from else ""
        self.message = f"Launched {plain(job.algorithm)}{reused}."
        await self.jobs.load()
