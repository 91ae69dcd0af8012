"""The page's views over their models, without a browser: widgets bound to parameters, the launch form
made by ``pn.Param`` from the registry, the tab switch on opening a tree, escaped user text, and the
session of a closed page expired at once."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import panel as pn
from bokeh.core.types import ID
from bokeh.document import Document
from bokeh.protocol.exceptions import ProtocolError
from bokeh.server.contexts import BokehSessionContext
from bokeh.server.session import ServerSession
from drive import act
from paths import FIXTURES
from tornado.ioloop import IOLoop

from dashboard.page import TREE_TAB, Dashboard, expire_when_closed
from dashboard.tabs.jobs import parameter_form
from dashboard.text import plain
from dashboard.viewmodels.jobs import job_rows
from dashboard.viewmodels.upload import report_markdown
from engine.algorithms.registry import ForceParameters, GoeburstParameters
from engine.services.root import Service
from engine.storage.records import JobRecord


def widget(layout: pn.viewable.Viewable, kind: type, name: str) -> pn.widgets.Widget:
    """The one widget of type ``kind`` labelled ``name`` in ``layout``."""
    found = [w for w in layout.select(kind) if w.name == name]
    assert len(found) == 1, (kind, name, found)
    return found[0]


def test_signing_in_shows_the_tabs_and_the_pickers_follow_the_models(service: Service) -> None:
    page = Dashboard(service)
    model = page.model
    form = page.body.objects[0]
    widget(form, pn.widgets.PasswordInput, "API token").value = service.token  # type: ignore[attr-defined]
    assert model.sign_in.token == service.token  # type: ignore[attr-defined]
    act(model.sign_in, submit=True)
    assert page.body.objects == [page.tabs] and page.sign_out.visible
    assert page.who.object == "Signed in as **admin@localhost** (admin)"
    assert list(page.project.options) == ["Demo (public)"] and page.project.value == model.projects.project
    data, jobs = page.tabs.objects[0], page.tabs.objects[1]
    table = next(t for t in data.select(pn.widgets.Tabulator))
    assert table.value["profiles"].tolist() == [260]
    assert list(widget(jobs, pn.widgets.Select, "Dataset").options) == ["Demo MLST (260 profiles)"]

    # typing in the page sets the models' parameters
    widget(data, pn.widgets.TextInput, "New project").value = "Outbreak 2026"
    act(model.projects, create=True)
    assert list(page.project.options) == ["Demo (public)", "Outbreak 2026 (private)"]
    assert page.project.value == model.projects.project and model.projects.new_name == ""
    files = list(data.select(pn.widgets.FileInput))
    files[0].param.update(value=(FIXTURES / "profiles.tsv").read_bytes(), filename="profiles.tsv")
    files[1].value = (FIXTURES / "isolates.tsv").read_bytes()
    assert model.upload.profiles_filename == "profiles.tsv" and model.upload.isolates is not None
    act(model.upload, upload=True)
    assert table.value["name"].tolist() == ["profiles.tsv"]
    table.selection = [0]
    assert model.projects.dataset == model.projects.datasets[0].id

    page.sign_out.clicks += 1
    assert page.session.user is None and page.body.objects == [] and page.project.value is None


def test_the_launch_form_is_pn_param_of_the_registry_parameter_object(service: Service) -> None:
    page = Dashboard(service)
    form = page.model.form
    act(page.model.sign_in, token=service.token, submit=True)  # type: ignore[attr-defined]
    jobs = page.tabs.objects[1]
    [options] = jobs.select(pn.Param)
    assert options.object is form.parameters and isinstance(form.parameters, GoeburstParameters)
    lvs, missing = widget(options, pn.widgets.IntInput, "lvs"), widget(options, pn.widgets.Select, "missing")
    assert (lvs.start, lvs.end, lvs.value, lvs.description) == (1, 65535, 3, GoeburstParameters.param.lvs.doc)
    lvs.value, missing.value = 2, "ignore"
    assert (form.parameters.lvs, form.parameters.missing) == (2, "ignore")
    assert dict(form.request().options) == {"lvs": 2, "missing": "ignore"}

    act(form, analysis="visualization")
    act(form, algorithm="force")
    [options] = jobs.select(pn.Param)
    assert isinstance(options.object, ForceParameters) and options.object is form.parameters
    assert [w.name for w in options.layout.select(pn.widgets.Widget)] == ["seed", "iterations", "start"]
    seed, iterations, start = options.layout.select(pn.widgets.Widget)
    assert isinstance(seed, pn.widgets.IntInput) and isinstance(iterations, pn.widgets.IntInput)
    assert isinstance(start, pn.widgets.Select) and list(start.options) == ["radial", "grapetree"]
    assert widget(jobs, pn.widgets.Select, "Tree to draw").visible
    assert not parameter_form(GoeburstParameters()).show_name


def test_opening_a_tree_switches_to_the_tree_tab_and_draws_it(service: Service) -> None:
    page = Dashboard(service)
    model = page.model
    act(model.sign_in, token=service.token, submit=True)  # type: ignore[attr-defined]
    act(model.form, launch=True)
    job = model.jobs.jobs[-1]
    for _ in range(600):
        if job.status == "succeeded":
            break
        act(model.jobs, refresh=True)
        job = model.jobs.find(job.id)
    act(model.jobs, job=job.id, open=True)
    assert page.tabs.active == TREE_TAB and model.tree.status == "open"
    selects = {select.name: select for select in page.tree.body.select(pn.widgets.Select)}
    # the tree's colour-by, and under it the epidemic curve's dates and the map's places (the demo's)
    assert {"Colour nodes by", "Date column", "Place column"} <= set(selects)
    assert selects["Date column"].value == "date" and selects["Place column"].value == "country"
    colour_by = selects["Colour nodes by"]
    assert "country" in colour_by.values
    colour_by.value = "country"
    assert model.tree.controls.colour_by == "country"


def test_user_text_is_escaped() -> None:
    assert plain("<script>alert(1)</script> *x*") == "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*x\\*"
    report = {"profiles": 1, "loci": 1, "missing_cells": 0, "skipped_lines": [{"line": 2, "reason": "<img>"}],
              "notes": ["<b>note</b>"]}
    text = report_markdown("<i>name</i>", report)
    assert "<" not in text.replace("&lt;", "")


def test_job_rows_show_duration_progress_and_errors() -> None:
    job = JobRecord(id="j", status="failed", analysis="inference", algorithm="goeburst", options={"lvs": 2},
                    dataset_id="d", progress=0.5, started="2026-01-01T00:00:00.000Z",
                    finished="2026-01-01T00:01:05.000Z", error="out of memory",
                    created="2026-01-01T00:00:00Z", analysis_id="a")
    rows = job_rows([job], {"d": "demo"})
    assert rows.iloc[0][["parameters", "progress", "duration", "error"]].tolist() == [
        "demo; lvs=2", 50, "1 min 5 s", "out of memory"]


class _Application:
    """The part of Bokeh's application context a served page reaches: its sessions by id."""

    def __init__(self, session: ServerSession) -> None:
        self.sessions = {session.id: session}

    def get_session(self, session_id: str) -> ServerSession:
        if session_id not in self.sessions:
            raise ProtocolError(f"No such session {session_id}")
        return self.sessions[session_id]


def test_a_page_whose_connection_closed_has_its_session_expired_at_once() -> None:
    document = Document()
    session = ServerSession(ID("page"), document, IOLoop.current())
    server = SimpleNamespace(application_context=_Application(session))
    context = BokehSessionContext(ID("page"), server, document)  # as Bokeh's server makes it for a page
    document._session_context = weakref.ref(context)
    expire_when_closed(document)
    assert not session.expiration_requested
    session.notify_connection_lost()  # what Bokeh does when the page's websocket closes
    assert session.expiration_requested
    del server.application_context.sessions[session.id]  # discarded meanwhile: nothing left to expire
    session.notify_connection_lost()
    expire_when_closed(Document())  # not served: nothing to follow
