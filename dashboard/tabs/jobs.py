"""The Jobs tab: the launch form (``pn.Param`` of the registry's parameter class) and the live jobs table."""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from dashboard.text import plain
from dashboard.viewmodels.job_form import JobForm
from dashboard.viewmodels.jobs import ACTIONS, JobWatcher
from engine.algorithms import registry
from engine.algorithms.parameters import AlgorithmParameters, parameter_names

#: The page's timer ticks this often (milliseconds); it reads the jobs only while one runs, or now
#: and then (:meth:`~dashboard.viewmodels.jobs.JobWatcher.tick`).
REFRESH_MS = 500
#: The buttons of every row: the watcher's action events, by column.
BUTTONS = {action: JobWatcher.param[action].label for action in ACTIONS}
_WIDTH = 220


def parameter_form(parameters: AlgorithmParameters) -> pn.Param:
    """The algorithm's options: ``pn.Param`` of its registry parameter object, whole numbers typed in."""
    names = parameter_names(type(parameters))
    widgets: dict[str, dict[str, Any]] = {
        name: {"name": name, "width": _WIDTH,
               **({"type": pn.widgets.IntInput} if isinstance(parameters.param[name], param.Integer) else {})}
        for name in names}
    return pn.Param(parameters, parameters=names, widgets=widgets, show_name=False, default_layout=pn.Row,
                    margin=0)


def launch_form(form: JobForm) -> pn.Column:
    """Analysis, algorithm, dataset (and tree to draw), the algorithm's description and options, Launch."""
    drawing = pn.bind(lambda analysis: analysis == registry.VISUALIZATION, form.param.analysis)
    return pn.Column(
        pn.widgets.RadioButtonGroup.from_param(form.param.analysis, name="", description=None),
        pn.Row(pn.widgets.Select.from_param(form.param.algorithm, width=_WIDTH, description=None),
               pn.widgets.Select.from_param(form.param.dataset, width=300, description=None),
               pn.widgets.Select.from_param(form.param.inference, width=300, visible=drawing)),
        pn.pane.Markdown(pn.bind(plain, form.param.about), width=520),
        pn.panel(pn.bind(parameter_form, form.param.parameters)),
        pn.widgets.Button.from_param(form.param.launch, color="primary", width=120, description=None),
        pn.pane.Markdown(form.param.message, sizing_mode="stretch_width", name="jobs message"),
        margin=0,
    )


def jobs_table(jobs: JobWatcher) -> pn.widgets.Tabulator:
    """The project's jobs, newest first, with Cancel, Remove and Open buttons on every row."""
    table = pn.widgets.Tabulator(
        jobs.rows, disabled=True, show_index=False, sizing_mode="stretch_width", buttons=BUTTONS,
        hidden_columns=["created", "id", "analysis_id", "dataset_id", "inference_id"],
        formatters={"progress": {"type": "progress", "min": 0, "max": 100, "legend": True}},
        pagination="local", page_size=15, sorters=[{"field": "created", "dir": "desc"}])

    def act(event: Any) -> None:
        # Rows are oldest first (the browser sorts them), so a row's index is still its job's.
        if event.column in BUTTONS:
            jobs.param.update({"job": table.value.iloc[event.row]["id"], event.column: True})

    table.on_click(act)
    return table


def jobs_tab(form: JobForm, jobs: JobWatcher) -> pn.viewable.Viewable:
    """The tab's layout."""
    return pn.Column(
        "### Launch a job", launch_form(form),
        "### Jobs of the project", jobs_table(jobs),
        pn.pane.Markdown(jobs.param.message, sizing_mode="stretch_width", name="jobs table message"),
        name="Jobs", sizing_mode="stretch_width")
