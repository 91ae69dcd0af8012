"""The dashboard in headless Chromium against the real server (``make serve``), driven by Playwright.

The fixtures (``page`` from pytest-playwright, whose ``base_url`` is the dashboard server's root;
``dashboard_server``, ``admin_token`` and ``shots`` from conftest.py) and the page's locators
(browser_support.py) are shared; screenshots of every step land in tests/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from api_client import FIXTURES
from browser_support import (
    Shots,
    data_point,
    drag,
    drag_through,
    open_dashboard,
    plot_point,
    row_button,
    selected_indices,
    selected_project,
    set_number,
    sign_in,
    sign_in_button,
    tab,
    table_cell,
    table_row,
    tree_control,
    tree_nodes,
)
from live_server import Client, LiveServer, cgmlst_file, upload
from paths import DEMO
from playwright.sync_api import Page, expect

from dashboard.viewmodels.epicurve import selected_words
from engine.algorithms import registry
from engine.algorithms.clusters import cluster_tsv, cut
from engine.algorithms.registry import infer
from engine.io.datasets import open_dataset, read_dataset
from engine.io.tables import isolates_tsv

#: A goeBURST job on the demo dataset: seconds, plus numba's compilation in a new worker.
JOB_WAIT_MS = 180_000
#: The same job as the first of a new server on a busy machine, with its workers still warming up.
FIRST_JOB_WAIT_MS = 600_000


def startup_jobs(client: Client, timeout: float = JOB_WAIT_MS / 1000) -> tuple[str, list[dict]]:
    """The Demo project's id and its jobs once the start-up's goeBURST and grapetree jobs have ended."""
    demo = next(project["id"] for project in client.json("GET", "/projects") if project["name"] == "Demo")
    deadline = time.monotonic() + timeout
    while True:
        jobs = client.json("GET", f"/projects/{demo}/jobs")
        if any(job["algorithm"] == "grapetree" and job["completed"] for job in jobs):
            return demo, jobs
        assert not any(job["completed"] and job["status"] != "succeeded" for job in jobs), jobs
        assert time.monotonic() < deadline, f"the demo tree was not drawn within {timeout} s: {jobs}"
        time.sleep(0.5)


def test_the_demo_tree_is_drawn_on_first_sign_in_without_launching_anything(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots
) -> None:
    # The server's first start queued the demo's goeBURST tree and its grapetree layout itself.
    demo, jobs = startup_jobs(Client(dashboard_server.url, admin_token))
    assert sorted((job["algorithm"], job["status"]) for job in jobs) == [("goeburst", "succeeded"),
                                                                         ("grapetree", "succeeded")]
    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")
    tab(page, "Tree").click()
    expect(page.get_by_role("heading", name="Demo MLST: goeburst, grapetree layout")).to_be_visible()
    expect(page.get_by_text("260 profiles, 570 isolates")).to_be_visible()
    expect(page.locator("canvas").first).to_be_visible()
    shots(page, "demo-tree")
    assert len(Client(dashboard_server.url, admin_token).json("GET", f"/projects/{demo}/jobs")) == 2


def test_signing_in_shows_the_demo_and_a_job_posted_through_the_api(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots
) -> None:
    open_dashboard(page)
    shots(page, "sign-in")

    sign_in(page, "pd_wrong")
    expect(page.get_by_text("not valid")).to_be_visible()
    shots(page, "wrong-token")

    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")
    expect(table_cell(page, "Demo MLST", "profiles")).to_have_text("260")
    shots(page, "signed-in")

    client = Client(dashboard_server.url, admin_token)
    demo = next(project["id"] for project in client.json("GET", "/projects") if project["name"] == "Demo")
    dataset = client.json("GET", f"/projects/{demo}/datasets")[0]["id"]
    tab(page, "Jobs").click()
    job = client.submit(demo, "goeburst", dataset, 3)["job_id"]
    # No reload: the page refreshes its jobs on its own.
    expect(table_row(page, job)).to_have_count(1)
    expect(table_cell(page, job, "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    shots(page, "job-succeeded")


def test_upload_goeburst_tree_colours_search_clusters_and_cancel(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots, tmp_path: Path
) -> None:
    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")

    # a project and a dataset, uploaded through the page, with the reader's report
    page.get_by_label("New project").fill("Outbreak 2026")
    page.get_by_role("button", name="Create project").click()
    expect(selected_project(page)).to_have_text("Outbreak 2026 (private)")
    files = page.locator("input[type=file]")
    files.nth(0).set_input_files(str(FIXTURES / "profiles.tsv"))
    files.nth(1).set_input_files(str(FIXTURES / "isolates.tsv"))
    page.get_by_label("Dataset name").fill("fixture MLST")
    page.get_by_role("button", name="Upload dataset").click()
    expect(page.get_by_text("12 profiles", exact=True)).to_be_visible()
    expect(table_cell(page, "fixture MLST", "profiles")).to_have_text("12")
    shots(page, "uploaded")

    # goeBURST from the registry's form, followed live, opened with one click
    tab(page, "Jobs").click()
    expect(page.get_by_label("Dataset", exact=True)).to_contain_text("fixture MLST")
    page.get_by_role("button", name="Launch").click()
    expect(table_cell(page, "goeburst", "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    shots(page, "job-succeeded")
    row_button(page, "goeburst", "Open").click()
    expect(page.locator(".pd-tree-colour-by")).to_be_visible()
    expect(page.get_by_text("12 profiles, 14 isolates")).to_be_visible()
    shots(page, "tree")

    # colour by a metadata column: the legend lists its values
    page.locator(".pd-tree-colour-by select").select_option("country")
    expect(page.locator(".pd-tree-legend")).to_contain_text("PT")
    shots(page, "coloured-by-country")

    # search an ST: it is marked and zoomed to
    search = page.locator(".pd-tree-search input")
    search.fill("2")
    search.press("Enter")
    expect(page.get_by_text("1 node matches.")).to_be_visible()
    shots(page, "search")

    # cut into clusters; the downloaded TSV is what the engine computes at that threshold
    page.locator(".pd-tree-cut-clusters input").check()
    expect(page.locator(".pd-tree-clusters")).to_be_visible()
    with page.expect_download() as download:
        page.locator(".pd-tree-download-cluster-tsv").get_by_role("button").click()
    saved = tmp_path / "clusters.tsv"
    download.value.save_as(saved)
    dataset = read_dataset((FIXTURES / "profiles.tsv").read_bytes(), (FIXTURES / "isolates.tsv").read_bytes())
    tree = infer("goeburst", dataset, {"lvs": 3})
    assert saved.read_text() == cluster_tsv(tree, cut(tree, 1), 1)
    shots(page, "clusters")

    # a long job is cancelled from its row
    client = Client(dashboard_server.url, admin_token)
    project = next(p["id"] for p in client.json("GET", "/projects") if p["name"] == "Outbreak 2026")
    big = upload(client, project, cgmlst_file(20000, 50))["id"]
    tab(page, "Jobs").click()
    job = client.submit(project, "goeburst-full", big, 3)["job_id"]
    expect(table_cell(page, job, "status")).to_have_text("running", timeout=JOB_WAIT_MS)
    row_button(page, job, "Cancel").click()
    expect(table_cell(page, job, "status")).to_have_text("cancelled")
    assert client.json("GET", f"/projects/{project}/jobs/{job}")["status"] == "cancelled"
    shots(page, "cancelled")


#: Names typed in the page (and an upload's error message) that would run a script if shown as HTML.
PROJECT_NAME = 'Outbreak <img src=x onerror="window.__pwned=1">'
DATASET_NAME = 'MLST <script>window.__pwned=2</script> <img src=x onerror="window.__pwned=3">'
MARKUP_CELL = '<img src=x onerror="window.__pwned=4">'


def test_names_and_refused_markup_are_shown_as_text_and_never_run(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots, tmp_path: Path
) -> None:
    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")

    # a project whose name is markup: the picker shows the characters
    page.get_by_label("New project").fill(PROJECT_NAME)
    page.get_by_role("button", name="Create project").click()
    expect(selected_project(page)).to_have_text(f"{PROJECT_NAME} (private)")
    expect(page.get_by_text(f"Created the project {PROJECT_NAME}.")).to_be_visible()

    # the reader refuses markup in metadata; its message quotes the cell as text
    isolates = tmp_path / "isolates.tsv"
    fixture = (FIXTURES / "isolates.tsv").read_text()
    isolates.write_text(fixture.replace("\tPT\t", f"\t{MARKUP_CELL}\t", 1))
    files = page.locator("input[type=file]")
    files.nth(0).set_input_files(str(FIXTURES / "profiles.tsv"))
    files.nth(1).set_input_files(str(isolates))
    page.get_by_role("button", name="Upload dataset").click()
    refused = page.get_by_text("which is HTML markup")
    expect(refused).to_contain_text(f"holds '{MARKUP_CELL}'")
    refused.scroll_into_view_if_needed()
    shots(page, "markup-refused")

    # a dataset whose name is markup: the report, the table and the jobs' dataset picker show the characters
    files.nth(1).set_input_files(str(FIXTURES / "isolates.tsv"))
    page.get_by_label("Dataset name").fill(DATASET_NAME)
    page.get_by_role("button", name="Upload dataset").click()
    expect(page.get_by_role("heading", name=DATASET_NAME)).to_be_visible()
    expect(table_cell(page, DATASET_NAME, "name")).to_have_text(DATASET_NAME)
    shots(page, "markup-names")
    tab(page, "Jobs").click()
    expect(page.get_by_label("Dataset", exact=True)).to_contain_text(DATASET_NAME)

    # the tree's title is the dataset's name
    page.get_by_role("button", name="Launch").click()
    expect(table_cell(page, "goeburst", "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    row_button(page, "goeburst", "Open").click()
    expect(page.get_by_role("heading", name=f"{DATASET_NAME}: goeburst")).to_be_visible()
    page.locator(".pd-tree-colour-by select").select_option("country")
    expect(page.locator(".pd-tree-legend")).to_contain_text("PT")
    shots(page, "markup-tree")

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img[src=x], script:has-text('__pwned')").count() == 0


def test_nj_and_mstree_v2_trees_are_launched_and_drawn(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots
) -> None:
    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")
    tab(page, "Jobs").click()
    for algorithm, drawn in (("mstree-v2", "radial layout"), ("nj", "equal-angle layout")):
        page.get_by_label("Algorithm").select_option(algorithm)
        # the form explains the method in a sentence from the registry
        expect(page.get_by_text(registry.get(algorithm).description[:40])).to_be_visible()
        page.get_by_role("button", name="Launch").click()
        expect(table_cell(page, algorithm, "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
        row_button(page, algorithm, "Open").click()
        expect(page.get_by_role("heading", name=f"Demo MLST: {algorithm}, {drawn}")).to_be_visible()
        expect(page.get_by_text("260 profiles, 570 isolates")).to_be_visible()
        shots(page, f"{algorithm}-tree")
        tab(page, "Jobs").click()


def _profile_rows_where(column: str, keep) -> list[int]:
    """The demo's profile rows of the isolates whose ``column`` value passes ``keep``, from the engine."""
    dataset = open_dataset(DEMO / "profiles.tsv", DEMO / "isolates.tsv")
    index = dataset.isolates.columns.index(column)
    rows = np.asarray(dataset.isolates.profile_rows)
    return sorted({int(rows[i]) for i, row in enumerate(dataset.isolates.rows)
                   if keep(row[index]) and rows[i] >= 0})


def _wait_for_selected_nodes(page: Page, expected: list[int]) -> None:
    """Wait until the tree's selected nodes, in the browser, are ``expected``."""
    deadline = time.monotonic() + 30
    while (found := selected_indices(page, "tree-figure", "isolates")) != expected:
        assert time.monotonic() < deadline, f"selected nodes {found} instead of {expected}"
        time.sleep(0.2)


def _ms(day: str) -> float:
    return float(np.datetime64(day, "ms").astype(np.int64))


def test_epidemic_curve_brush_and_map_click_select_the_tree_nodes(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots
) -> None:
    startup_jobs(Client(dashboard_server.url, admin_token))
    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")
    # a tree drawn first (the project's newest, opened by the Tree tab): the curve and the map under the
    # next tree opened must answer all the same
    tab(page, "Tree").click()
    expect(tree_control(page, "drawn")).to_contain_text("nodes drawn")
    tab(page, "Jobs").click()
    page.get_by_label("Algorithm").select_option("goeburst")
    page.get_by_role("button", name="Launch").click()
    expect(table_cell(page, "goeburst", "status").first).to_have_text("succeeded", timeout=FIRST_JOB_WAIT_MS)
    row_button(page, "goeburst", "Open").first.click()
    expect(page.get_by_text("260 profiles, 570 isolates")).to_be_visible()

    # the demo's isolates have dates: the curve is shown under the tree, stacked as the tree is coloured
    curve = page.locator(".pd-epicurve")
    expect(curve).to_be_visible()
    expect(page.locator(".pd-epicurve-message")).to_contain_text("570 isolates by date, per year")
    page.locator(".pd-tree-colour-by select").select_option("country")
    expect(page.locator(".pd-epicurve-legend")).to_contain_text("Portugal")
    curve.scroll_into_view_if_needed()
    shots(page, "epicurve")

    # brushing 2010-2011 selects the profiles of the isolates dated in those years, and the tree marks them
    drag(page, plot_point(page, "epicurve-figure", _ms("2010-03-01"), 4),
         plot_point(page, "epicurve-figure", _ms("2011-10-01"), 4))
    message = page.locator(".pd-epicurve-message")
    expect(message).to_contain_text("the time window brushed on the curve (2010 to 2011)")
    expected = _profile_rows_where("date", lambda value: value[:4] in ("2010", "2011"))
    expect(message).to_contain_text(f"of the {len(expected)} profiles")
    _wait_for_selected_nodes(page, expected)
    page.mouse.move(0, 0)  # no tooltip in the pictures
    shots(page, "epicurve-brushed")
    page.locator(".pd-tree-colour-by").scroll_into_view_if_needed()
    shots(page, "epicurve-brushed-tree")

    # the map: a circle per country; clicking Portugal's selects its isolates' profiles
    world_map = page.locator(".pd-map")
    expect(world_map).to_be_visible()
    expect(page.locator(".pd-map-message")).to_contain_text("570 isolates in 7 countries")
    world_map.scroll_into_view_if_needed()
    shots(page, "map")
    page.mouse.click(*plot_point(page, "map-figure", -8.06, 39.63))
    expect(page.locator(".pd-map-message")).to_contain_text("profiles of 'Portugal'")
    portugal = _profile_rows_where("country", lambda value: value == "Portugal")
    _wait_for_selected_nodes(page, portugal)
    # the curve shows the part of the map's selection
    expect(message).to_contain_text(f"of the {len(portugal)} profiles of the place picked on the map")
    # the map counts every isolate of those profiles: Portugal's and those of the same STs elsewhere
    isolates = int(open_dataset(DEMO / "profiles.tsv", DEMO / "isolates.tsv").counts[portugal].sum())
    expect(page.locator(".pd-map-message")).to_contain_text(
        f"the {isolates} isolates of the {len(portugal)} profiles of 'Portugal'")
    page.mouse.move(0, 0)
    shots(page, "map-clicked")

    # a node tapped on the tree selects its profile: the curve and the map show that profile's isolates
    node = 0  # the profile row of the demo's first ST, drawn as node 0
    page.locator(".pd-tree-colour-by").scroll_into_view_if_needed()
    page.mouse.click(*plot_point(page, "tree-figure", *data_point(page, "tree-figure", "isolates", node)))
    _wait_for_selected_nodes(page, [node])
    count = int(open_dataset(DEMO / "profiles.tsv", DEMO / "isolates.tsv").counts[node])
    expect(message).to_contain_text(selected_words(count, 1, "the nodes selected in the tree"))
    expect(page.locator(".pd-map-message")).to_contain_text(selected_words(count, 1, ""))
    page.mouse.move(0, 0)
    curve.scroll_into_view_if_needed()
    shots(page, "tree-tapped")


def _ids_in(nodes: dict, box: tuple[float, float, float, float], margin: float) -> set[str]:
    """The ids of the drawn nodes whose centre is inside ``box`` (x0, y0, x1, y1) grown by ``margin``."""
    x0, y0, x1, y1 = box
    return {node for node, x, y in zip(nodes["ids"], nodes["x"], nodes["y"], strict=True)
            if x0 - margin < x < x1 + margin and y0 - margin < y < y1 + margin}


def _selection_text(profiles: int, isolates: int, where: str) -> str:
    return f"{profiles:,} profiles, {isolates:,} isolates selected {where}"


def test_demo_tree_collapse_table_filter_lasso_download_and_address(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots, tmp_path: Path
) -> None:
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    tree = infer("goeburst", dataset, {"lvs": 3})
    isolates, ids = dataset.isolates, dataset.profiles.ids
    links = np.asarray(isolates.profile_rows)

    def isolates_of(profile_ids: set[str]) -> np.ndarray:
        rows = [ids.index(name) for name in profile_ids]
        return np.flatnonzero(np.isin(links, rows))

    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")
    client = Client(dashboard_server.url, admin_token)
    demo = next(project["id"] for project in client.json("GET", "/projects") if project["name"] == "Demo")
    stored = client.json("GET", f"/projects/{demo}/datasets")[0]["id"]
    tab(page, "Jobs").click()
    job = client.submit(demo, "goeburst", stored, 3)["job_id"]
    expect(table_cell(page, job, "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    row_button(page, job, "Open").click()
    expect(page.get_by_text("260 profiles, 570 isolates")).to_be_visible()
    assert len(tree_nodes(page)["ids"]) == 260
    shots(page, "tree")

    # collapse: every cluster of the engine's cut at d is one drawn node
    for d in (1, 5):
        clusters = len(np.unique(cut(tree, d)))
        set_number(page, "collapse", d)
        expect(tree_control(page, "drawn")).to_contain_text(f"{clusters:,} nodes drawn")
        assert len(tree_nodes(page)["ids"]) == clusters
        shots(page, f"collapsed-at-{d}")
    set_number(page, "collapse", 0)
    expect(tree_control(page, "drawn")).to_have_text("260 nodes drawn.")

    # a filter typed in the table's header selects (highlights) the nodes of the isolates it keeps
    header = tree_control(page, "isolates").locator('.tabulator-col[tabulator-field="country"] input')
    header.fill("Portugal")
    header.press("Enter")  # Tabulator filters on a key
    country = isolates.columns.index("country")
    portugal = {ids[links[k]] for k, row in enumerate(isolates.rows) if "Portugal" in row[country]}
    expected = _selection_text(len(portugal), len(isolates_of(portugal)), "in the table")
    expect(tree_control(page, "selection-message")).to_contain_text(expected)
    nodes = tree_nodes(page)
    assert {nodes["ids"][k] for k in nodes["selected"]} == portugal
    shots(page, "table-filter-highlights-nodes")
    header.fill("")
    header.press("Enter")
    expect(tree_control(page, "selection-message")).to_contain_text("Nothing selected")

    # a lasso around some nodes: the table shows their isolates, the TSV is the engine's
    page.get_by_title("Lasso Select").first.click()
    nodes = tree_nodes(page)
    left, top, width, height = nodes["frame"]
    inside = [(x, y) for x, y in zip(nodes["x"], nodes["y"], strict=True)
              if left + 60 < x < left + width - 60 and top + 60 < y < top + height - 60]
    cx, cy = sorted(inside)[len(inside) // 2]
    box = (cx - 70, cy - 50, cx + 70, cy + 50)
    x0, y0, x1, y1 = box
    drag_through(page, [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
    expect(tree_control(page, "selection-message")).to_contain_text("selected in the tree")
    nodes = tree_nodes(page)
    picked = {nodes["ids"][k] for k in nodes["selected"]}
    assert _ids_in(nodes, box, -2) <= picked <= _ids_in(nodes, box, 2) and picked
    rows = isolates_of(picked)
    expect(tree_control(page, "selection-message")).to_contain_text(
        _selection_text(len(picked), len(rows), "in the tree"))
    column = isolates.profile_column
    shown = tree_control(page, "isolates").locator(f'.tabulator-row [tabulator-field="{column}"]')
    expect(shown).to_have_count(min(len(rows), 12))
    assert set(shown.all_inner_texts()) <= picked
    shots(page, "lasso-filters-the-table")
    with page.expect_download() as download:
        tree_control(page, "download-isolate-tsv").get_by_role("button").click()
    saved = tmp_path / "selected.tsv"
    download.value.save_as(saved)
    assert saved.read_text() == isolates_tsv(isolates, rows)

    # the address keeps the view: a new page at it shows the same colours, collapse and selection
    page.locator(".pd-tree-colour-by select").select_option("country")
    set_number(page, "collapse", 1)
    clusters = len(np.unique(cut(tree, 1)))
    expect(tree_control(page, "drawn")).to_contain_text(f"{clusters:,} nodes drawn")
    expect(page).to_have_url(re.compile(r"collapse=1.*selected=|selected=.*collapse=1"))
    shots(page, "view-in-the-address")
    other = page.context.new_page()
    other.goto(page.url)
    expect(sign_in_button(other)).to_be_visible()
    sign_in(other, admin_token)
    expect(tree_control(other, "drawn")).to_contain_text(f"{clusters:,} nodes drawn")
    expect(other.locator(".pd-tree-colour-by select")).to_have_value("country")
    expect(tree_control(other, "selection-message")).to_contain_text(
        _selection_text(len(picked), len(rows), "by the link"))
    expect(tree_control(other, "legend")).to_contain_text("Portugal")
    shots(other, "address-reopened")
