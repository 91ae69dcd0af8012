"""The dashboard's view models on a real in-process service, driven by setting their parameters.

No Panel and no browser: a test sets parameters (an event parameter set to True is an action), then
waits until the work they started, in threads and on the event loop, has finished.
"""

from __future__ import annotations

import asyncio
import gzip
import time

import numpy as np
import param
import pytest
from drive import act
from live_server import cgmlst_file
from panel.io.location import Location
from paths import FIXTURES

from dashboard.session import Session
from dashboard.viewmodels.job_form import JobForm, option_values
from dashboard.viewmodels.link import ViewLink, decode_rows
from dashboard.viewmodels.page import NOT_YOURS, PageState
from dashboard.viewmodels.selection import Selection, rows_of_isolates
from dashboard.viewmodels.sign_in import HELP
from dashboard.viewmodels.tree import NO_COLOUR, TreeControls
from engine.algorithms import registry
from engine.algorithms.clusters import cut
from engine.algorithms.registry import ForceParameters, GoeburstParameters, NoParameters
from engine.io.datasets import open_dataset
from engine.jobs.runner import FINAL
from engine.services.analyses import JobRequest
from engine.services.root import Service
from engine.storage.records import JobRecord

#: A goeBURST job on a dozen profiles: well under a second, plus numba's compilation in a new worker.
JOB_SECONDS = 180


def signed_in(service: Service) -> PageState:
    page = PageState(session=Session(service))
    act(page.sign_in, token=service.token, submit=True)  # type: ignore[attr-defined]
    return page


def uploaded(page: PageState, name: str = "fixture MLST") -> str:
    """A new project holding the fixture dataset, selected; the dataset's id."""
    act(page.projects, new_name="Outbreak 2026", create=True)
    act(page.upload, profiles=(FIXTURES / "profiles.tsv").read_bytes(),
        isolates=(FIXTURES / "isolates.tsv").read_bytes(), dataset_name=name, upload=True)
    return page.projects.datasets[-1].id


def finished(page: PageState, job_id: str, statuses: tuple[str, ...] = FINAL) -> JobRecord:
    """Refresh the jobs until ``job_id`` reaches one of ``statuses``."""
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        act(page.jobs, refresh=True)
        job = page.jobs.find(job_id)
        assert job is not None
        if job.status in statuses or time.monotonic() > deadline:
            assert job.status in statuses, job
            return job
        time.sleep(0.2)


def test_failed_sign_ins_are_throttled_per_address_and_a_password_is_then_not_even_checked(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.accounts.set_password("admin@localhost", "correct horse")
    page = PageState(session=Session(service, address="10.0.0.7"))
    for attempt in range(10):
        act(page.sign_in, email="admin@localhost", password=f"guess {attempt}", submit=True)
        assert "do not match" in page.sign_in.message
    checked: list[str] = []
    monkeypatch.setattr(service.accounts, "by_password", lambda *args: checked.append("scrypt"))
    act(page.sign_in, email="admin@localhost", password="correct horse", submit=True)
    assert "Too many failed sign-ins from this address" in page.sign_in.message and not checked
    assert page.session.user is None
    act(page.sign_in, token=service.token, submit=True)  # a good token is never refused
    assert page.session.user is not None and page.session.user.email == "admin@localhost"
    other = PageState(session=Session(service, address="10.0.0.8"))  # another address is not slowed
    act(other.sign_in, email="admin@localhost", password="guess", submit=True)
    assert "do not match" in other.sign_in.message


def test_signing_in_refuses_wrong_secrets_forgets_them_and_reads_the_projects(service: Service) -> None:
    page = PageState(session=Session(service))
    assert page.sign_in.message == HELP
    act(page.sign_in, token="pd_wrong", submit=True)
    assert "not valid" in page.sign_in.message and page.session.user is None and page.sign_in.token == ""
    service.accounts.set_password("admin@localhost", "correct horse")
    act(page.sign_in, email="admin@localhost", password="wrong horse", submit=True)
    assert "do not match" in page.sign_in.message and page.sign_in.password == ""
    act(page.sign_in, password="correct horse", submit=True)
    assert page.session.user.email == "admin@localhost" and page.sign_in.password == ""
    picker = page.projects
    assert [p.name for p in picker.projects] == ["Demo"] and picker.project == picker.projects[0].id
    assert list(picker.param.project.names) == ["Demo (public)"]
    assert picker.rows()["profiles"].tolist() == [260]
    assert page.form.dataset == picker.datasets[0].id
    assert list(page.form.param.dataset.names) == ["Demo MLST (260 profiles)"]

    page.sign_out()
    assert page.session.user is None and picker.project is None and picker.datasets == []
    assert page.tree.status == "closed"


def test_a_new_project_an_upload_with_its_report_and_a_deleted_dataset(service: Service) -> None:
    page = signed_in(service)
    picker, upload = page.projects, page.upload
    demo = picker.project
    act(picker, new_name="Outbreak <b>2026</b>", create=True)
    assert picker.project != demo and picker.new_name == ""
    assert "Created the project **Outbreak &lt;b&gt;2026&lt;/b&gt;**" in picker.message
    assert picker.param.project.names["Outbreak <b>2026</b> (private)"] == picker.project
    assert picker.datasets == [] and page.form.dataset is None
    with pytest.raises(ValueError):
        picker.project = "no such project"

    act(upload, upload=True)
    assert upload.report == "**Choose a profile file first.**"
    act(upload, profiles=b"ST\ta\tb\n1\t1\t2\n2\t1\n3\t1\t1\n", profiles_filename="tiny.tsv", upload=True)
    assert "2 profiles" in upload.report and "| 3 |" in upload.report  # line 3 was left out, with its reason
    assert [d.name for d in picker.datasets] == ["tiny.tsv"] and page.form.dataset == picker.datasets[0].id
    act(upload, profiles=b"ST\ta\n", upload=True)
    assert "was not stored" in upload.report and "line 1" in upload.report
    act(upload, profiles=(FIXTURES / "profiles.tsv").read_bytes(),
        isolates=(FIXTURES / "isolates.tsv").read_bytes(), dataset_name="fixture MLST", upload=True)
    assert "12 profiles" in upload.report and "14 isolates" in upload.report and upload.dataset_name == ""
    assert picker.rows()["name"].tolist() == ["tiny.tsv", "fixture MLST"]

    act(picker, delete=True)
    assert picker.message == "Select a dataset in the table first."
    act(picker, dataset=picker.datasets[0].id, delete=True)
    assert picker.message == "The dataset was deleted."
    assert [d.name for d in picker.datasets] == ["fixture MLST"]
    assert list(page.form.param.dataset.names) == ["fixture MLST (12 profiles)"]
    act(picker, project=demo)
    assert upload.report == "" and [d.name for d in picker.datasets] == ["Demo MLST"]


def test_gzip_compressed_files_upload_as_their_text(service: Service) -> None:
    page = signed_in(service)
    uploaded(page, "plain")
    plain = page.upload.report
    act(page.upload, profiles=gzip.compress((FIXTURES / "profiles.tsv").read_bytes()),
        profiles_filename="profiles.tsv.gz", isolates=gzip.compress((FIXTURES / "isolates.tsv").read_bytes()),
        upload=True)
    heading, _, body = page.upload.report.partition("\n")
    assert "profiles" in heading and body == plain.partition("\n")[2] and "12 profiles" in body
    act(page.upload, profiles=gzip.compress(b"ST\ta\n1\t1\n")[:-6], upload=True)
    assert page.upload.report.startswith("**The dataset was not stored:** The profile file is gzip")
    assert "compressed but cut short" in page.upload.report
    assert [d.name for d in page.projects.datasets] == ["plain", "profiles.tsv.gz"]


def test_the_launch_form_holds_a_registry_parameter_object_and_builds_a_job_request(service: Service) -> None:
    form = signed_in(service).form
    assert form.param.algorithm.objects == registry.names(registry.INFERENCE) and form.algorithm == "goeburst"
    assert type(form.parameters) is GoeburstParameters and option_values(form.parameters) == {
        "lvs": 3, "missing": "difference"}
    assert form.about == registry.get("goeburst").description
    with pytest.raises(ValueError):  # the parameter class refuses values out of bounds
        form.parameters.lvs = 0
    form.parameters.param.update(lvs=2, missing="ignore")
    request = form.request()
    assert (request.analysis, request.algorithm, request.dataset_id, request.inference_id) == (
        "inference", "goeburst", form.dataset, None)
    assert dict(request.options) == {"lvs": 2, "missing": "ignore"}
    assert request.checked()[2] == {"lvs": 2, "missing": "ignore"}

    act(form, algorithm="goeburst-full")
    assert option_values(form.parameters) == {"missing": "difference"}
    act(form, analysis="visualization")
    assert form.param.algorithm.objects == registry.names(registry.VISUALIZATION)
    assert type(form.parameters) is NoParameters
    assert form.inference is None  # the demo has no tree yet
    act(form, launch=True)
    assert form.message.startswith("**Choose a dataset**")
    act(form, algorithm="force")
    assert type(form.parameters) is ForceParameters and form.parameters.iterations == 50
    assert isinstance(JobForm.param.parameters, param.ClassSelector)


def test_launch_watch_open_a_tree_and_colour_it(service: Service) -> None:
    page = signed_in(service)
    dataset = uploaded(page)
    form, jobs, tree = page.form, page.jobs, page.tree
    assert form.dataset == dataset
    form.parameters.missing = "ignore"
    act(form, launch=True)
    assert form.message == "Launched goeburst."
    job = finished(page, jobs.jobs[-1].id)
    assert job.status == "succeeded" and jobs.trees == [job.id]
    row = jobs.rows().iloc[-1]
    assert row["status"] == "succeeded" and row["progress"] == 100
    assert row["parameters"] == "fixture MLST; lvs=3, missing=ignore"

    # the finished tree is offered for drawing
    act(form, analysis="visualization")
    assert form.inference == job.analysis_id and len(form.param.inference.objects) == 1

    # open it: the newest drawing, else a radial layout at once
    act(jobs, job=job.id, open=True)
    assert tree.status == "open" and (tree.dataset_id, tree.inference_id) == (dataset, job.analysis_id)
    assert tree.content.title == "fixture MLST: goeburst, radial layout"
    assert tree.content.dataset.profiles.size == 12 and len(tree.content.inference.ids) == 12
    controls = tree.controls
    assert controls.param.colour_by.objects == [NO_COLOUR, "country", "year"]  # not the isolate id
    assert controls.node_labels and controls.colour_by == NO_COLOUR and not controls.cut_clusters

    # colour by a column: the legend lists its values
    controls.colour_by = "country"
    colouring = controls.colouring(tree.content.dataset, tree.content.inference)
    assert colouring.colours.title == "country" and "PT" in [e.label for e in colouring.colours.legend]
    assert sum(e.isolates for e in colouring.colours.legend) == 14
    with pytest.raises(ValueError):
        controls.colour_by = "no such column"
    controls.colour_by = "year"
    assert controls.colouring(tree.content.dataset, tree.content.inference).colours.scale is not None

    # cut into clusters: the clusters are the engine's
    controls.param.update(cut_clusters=True, threshold=1)
    colouring = controls.colouring(tree.content.dataset, tree.content.inference)
    np.testing.assert_array_equal(colouring.clusters, cut(tree.content.inference, 1))
    assert colouring.table["profiles"].sum() == 12
    with pytest.raises(ValueError):
        controls.threshold = controls.param.threshold.bounds[1] + 1

    # a force layout of that tree, opened as drawn
    act(form, algorithm="force")
    form.parameters.iterations = 20
    act(form, launch=True)
    drawing = finished(page, jobs.jobs[-1].id)
    assert drawing.status == "succeeded" and drawing.inference_id == job.analysis_id
    act(jobs, job=drawing.id, open=True)
    assert tree.status == "open" and tree.visualization_id == drawing.analysis_id
    assert tree.content.title == "fixture MLST: goeburst, force layout"
    assert tree.controls is not controls and tree.controls.colour_by == NO_COLOUR  # fresh controls

    # a job that failed or is unknown opens nothing
    act(jobs, job="no such job", open=True)
    assert jobs.message == "That job is no longer listed." and tree.status == "open"


def test_cancelling_and_removing_jobs(service: Service) -> None:
    page = signed_in(service)
    act(page.projects, new_name="big", create=True)
    act(page.upload, profiles=cgmlst_file(20000, 50), dataset_name="cgMLST", upload=True)
    form, jobs = page.form, page.jobs
    act(form, algorithm="goeburst-full", launch=True)
    job = jobs.jobs[-1]
    assert job.status in ("queued", "running")
    act(jobs, job=job.id, remove=True)
    assert jobs.message == "That job is still running: cancel it first."
    act(jobs, job=job.id, open=True)
    assert jobs.message == "Only a job that succeeded has a tree to open."
    act(jobs, job=job.id, cancel=True)
    assert jobs.message == "The job was cancelled."
    assert finished(page, job.id).status == "cancelled"
    assert service.analyses.job(page.session.user, page.projects.project, job.id).status == "cancelled"
    act(jobs, job=job.id, cancel=True)
    assert jobs.message == "That job has already finished (cancelled)."
    act(jobs, job=job.id, remove=True)
    assert jobs.message == "The job was removed from the list." and jobs.jobs == [] and jobs.rows().empty


def test_a_job_end_is_pushed_to_the_pages_following_its_project(service: Service) -> None:
    page, elsewhere = signed_in(service), signed_in(service)
    uploaded(page)
    act(elsewhere.projects, new_name="Another project", create=True)
    scheduled: list[object] = []
    unfollow = page.jobs.follow(scheduled.append)
    unfollow_elsewhere = elsewhere.jobs.follow(scheduled.append)
    act(page.form, launch=True)
    job = page.jobs.jobs[-1]
    assert page.jobs.active and job.status in ("queued", "running")
    deadline = time.monotonic() + JOB_SECONDS
    while not scheduled and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the other page's listener has been called too by now
    assert scheduled == [page.jobs.load]  # only the page following the job's project
    asyncio.run(page.jobs.load())
    assert page.jobs.find(job.id).status == "succeeded" and not page.jobs.active

    unfollow()
    unfollow_elsewhere()
    act(page.form, launch=True)
    finished(page, page.jobs.jobs[-1].id)
    assert scheduled == [page.jobs.load]  # no longer following


def test_each_page_has_its_own_models(service: Service) -> None:
    one, two = PageState(session=Session(service)), PageState(session=Session(service))
    one.projects.param.project.objects = {"A (private)": "a"}
    assert two.projects.param.project.objects == []
    assert one.form.parameters is not two.form.parameters
    controls = TreeControls()
    controls.param.colour_by.objects = [NO_COLOUR, "country"]
    assert TreeControls().param.colour_by.objects == [NO_COLOUR]


def test_a_selection_is_kept_as_profile_rows_whoever_makes_it() -> None:
    dataset = open_dataset(FIXTURES / "profiles.tsv", FIXTURES / "isolates.tsv")
    selection = Selection()
    assert selection.isolates(dataset.isolates).tolist() == list(range(len(dataset.isolates.rows)))
    picked = rows_of_isolates(dataset.isolates, [0, 1, 1])
    selection.choose(reversed(picked), "table")
    assert selection.rows == picked and selection.source == "table"
    chosen = selection.isolates(dataset.isolates)
    assert set(np.asarray(dataset.isolates.profile_rows)[chosen].tolist()) == set(picked)
    selection.clear("tree")
    assert selection.rows == [] and selection.source == "tree"


def test_the_tree_tab_opens_the_projects_newest_drawing_else_its_newest_tree(service: Service) -> None:
    page = signed_in(service)
    tree = page.tree
    assert page.projects.project is not None  # the demo project, whose dataset has no tree yet
    assert asyncio.run(tree.open_newest()) is False and tree.status == "closed"

    user = page.session.user
    dataset = page.projects.datasets[0].id
    goeburst = service.analyses.submit(user, page.projects.project,
                                       JobRequest("inference", "goeburst", dataset, options={"lvs": 3}))
    assert finished(page, goeburst.id).status == "succeeded"
    assert asyncio.run(tree.open_newest()) is True
    assert (tree.status, tree.inference_id, tree.visualization_id) == ("open", goeburst.analysis_id, None)
    assert tree.content.title == "Demo MLST: goeburst, radial layout"  # none drawn: the fitting layout

    drawing = service.analyses.submit(user, page.projects.project, JobRequest(
        "visualization", "grapetree", dataset, inference_id=goeburst.analysis_id))
    assert finished(page, drawing.id).status == "succeeded"
    assert asyncio.run(tree.open_newest()) is True
    assert (tree.inference_id, tree.visualization_id) == (goeburst.analysis_id, drawing.analysis_id)
    assert tree.content.title == "Demo MLST: goeburst, grapetree layout"
    assert len(tree.content.layout.x) == 260


def test_a_value_of_the_address_set_back_to_none_reads_as_absent() -> None:
    written = Location()
    link = ViewLink()
    written.sync(link, ViewLink.QUERY)
    link.param.update(project="p", dataset="d", inference="t", drawing="v")
    link.drawing = None  # a tree without a drawing opened after one with
    assert "drawing=null" in written.search  # how Panel's location writes it
    read = ViewLink()
    Location(search=written.search).sync(read, ViewLink.QUERY)
    assert (read.inference, read.drawing) == ("t", None) and read.names_a_tree()


def test_the_address_names_the_view_reopens_it_and_a_selection_becomes_a_dataset(service: Service) -> None:
    page = signed_in(service)
    uploaded(page)
    act(page.form, launch=True)
    job = finished(page, page.jobs.jobs[-1].id)
    act(page.jobs, job=job.id, open=True)
    tree, link = page.tree, page.link
    assert link.names_a_tree() and (link.project, link.dataset, link.inference) == (
        page.projects.project, tree.dataset_id, tree.inference_id)
    tree.controls.param.update(colour_by="country", collapse=1)
    tree.selection.choose([0, 2, 3, 4], "tree")
    assert (link.colour, link.collapse, link.selection) == ("country", 1.0, "r0.2-4")

    # a colleague's page opened at that address shows the same view
    again = PageState(session=Session(service))
    again.link.param.update({name: getattr(link, name) for name in ViewLink.QUERY})
    act(again.sign_in, token=service.token, submit=True)  # type: ignore[attr-defined]
    assert again.tree.status == "open" and again.tree.inference_id == tree.inference_id
    assert (again.tree.controls.colour_by, again.tree.controls.collapse) == ("country", 1.0)
    assert again.tree.selection.rows == [0, 2, 3, 4] and again.tree.selection.source == "url"

    # a link to a project the user may not see opens nothing
    stranger = PageState(session=Session(service))
    stranger.link.param.update(project="no-such-project", dataset=link.dataset, inference=link.inference)
    act(stranger.sign_in, token=service.token, submit=True)  # type: ignore[attr-defined]
    assert stranger.tree.status == "failed" and stranger.tree.message == NOT_YOURS
    with pytest.raises(ValueError):
        decode_rows("r0-zzzz", limit=12)

    # the selection as a new dataset, offered for a new inference
    act(tree, subset_name="picked", save_subset=True)
    assert tree.saved is not None and page.form.dataset == tree.saved
    kept = service.catalog.dataset_content(
        service.catalog.dataset(page.session.user, page.projects.project, tree.saved))
    whole = tree.content.dataset
    assert kept.profiles.ids == [whole.profiles.ids[row] for row in (0, 2, 3, 4)]
    tree.selection.clear()
    act(tree, save_subset=True)
    assert tree.subset_message == "Select some nodes (or table rows) first."

    # the partition whose names are shown is in the address too: a newer one does not replace it
    user, project = page.session.user, page.projects.project
    cuts = [service.analyses.submit(user, project, JobRequest("partition", "cluster-codes", tree.dataset_id,
                                                              tree.inference_id, {"thresholds": [k]}))
            for k in (1, 2)]
    assert all(finished(page, cut.id).status == "succeeded" for cut in cuts)
    asyncio.run(tree.show(tree.dataset_id, tree.inference_id, tree.visualization_id, cuts[0].analysis_id))
    assert link.partition == cuts[0].analysis_id
    later = PageState(session=Session(service))
    later.link.param.update({name: getattr(link, name) for name in ViewLink.QUERY})
    act(later.sign_in, token=service.token, submit=True)  # type: ignore[attr-defined]
    assert later.tree.content.partition_id == cuts[0].analysis_id
    assert later.tree.content.naming.thresholds == (1.0,)

