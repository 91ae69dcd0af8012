"""Surveillance in the dashboard, in headless Chromium against the real server (``make serve``): a tree,
its cluster codes computed from the page and opened (coloured by their names, the changes listed, the
partition downloaded), profiles added as a version, its tree and partition (the names kept, the new
isolates' table, the new profiles coloured). Screenshots of every step land in tests/screenshots/."""

from __future__ import annotations

from pathlib import Path

from api_client import FIXTURES
from browser_support import Shots, open_dashboard, row_button, selected_project, sign_in, tab, table_cell
from live_server import Client, LiveServer
from playwright.sync_api import Page, expect

#: A job on a dozen profiles: well under a second, plus numba's compilation in a new worker.
JOB_WAIT_MS = 180_000
# 13 joins 1-2-3 (C2 at 1 and 3); 14 is far from everything.
ADDED = ("ST\tadk\tfumC\tgyrB\ticd\tmdh\tpurA\trecA\n13\t1\t1\t1\t1\t1\t1\t2\n"
         "14\t20\t20\t20\t20\t20\t20\t20\n")


def compute_and_open_partition(page: Page, shots: Shots, client: Client, step: str) -> None:
    """From the open tree: cluster codes at 1 and 3, followed in the Jobs tab, opened."""
    page.locator(".pd-partition-thresholds input").fill("1, 3")
    page.locator(".pd-partition-launch button").click()
    expect(page.locator(".pd-partition-message")).to_contain_text("Partition queued")
    project = next(p["id"] for p in client.json("GET", "/projects") if p["name"] == "Surveillance 2026")
    jobs = client.json("GET", f"/projects/{project}/jobs")  # newest first
    job = next(j["id"] for j in jobs if j["analysis"] == "partition")
    tab(page, "Jobs").click()
    expect(table_cell(page, job, "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    row_button(page, job, "Open").click()
    expect(page.locator(".pd-tree-changes")).to_be_visible()
    page.locator(".pd-tree-colour-by select").select_option("cluster names at 1")
    expect(page.locator(".pd-tree-legend")).to_contain_text("C1")
    shots(page, step)


def test_cluster_codes_and_added_profiles_keep_their_names(
    page: Page, dashboard_server: LiveServer, admin_token: str, shots: Shots, tmp_path: Path
) -> None:
    open_dashboard(page)
    sign_in(page, admin_token)
    expect(selected_project(page)).to_have_text("Demo (public)")
    page.get_by_label("New project").fill("Surveillance 2026")
    page.get_by_role("button", name="Create project").click()
    expect(selected_project(page)).to_have_text("Surveillance 2026 (private)")
    files = page.locator("input[type=file]")
    files.nth(0).set_input_files(str(FIXTURES / "profiles.tsv"))
    page.get_by_label("Dataset name").fill("week 1")
    page.get_by_role("button", name="Upload dataset").click()
    expect(table_cell(page, "week 1", "profiles")).to_have_text("12")

    tab(page, "Jobs").click()
    page.get_by_role("button", name="Launch").click()
    expect(table_cell(page, "goeburst", "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    row_button(page, "goeburst", "Open").click()
    expect(page.locator(".pd-tree-colour-by")).to_be_visible()
    client = Client(dashboard_server.url, admin_token)
    compute_and_open_partition(page, shots, client, "partition-week-1")
    with page.expect_download() as download:
        page.locator(".pd-tree-download-partition-tsv").get_by_role("button").click()
    saved = tmp_path / "partition.tsv"
    download.value.save_as(saved)
    project = next(p["id"] for p in client.json("GET", "/projects") if p["name"] == "Surveillance 2026")
    dataset = client.json("GET", f"/projects/{project}/datasets")[0]["id"]
    tree = client.json("GET", f"/projects/{project}/datasets/{dataset}/inferences")[0]["id"]
    job = next(j for j in client.json("GET", f"/projects/{project}/jobs") if j["analysis"] == "partition")
    path = f"/projects/{project}/datasets/{dataset}/inferences/{tree}/partitions/{job['analysis_id']}"
    assert saved.read_text().splitlines() == [
        "profile_id\t1\t3", *(f"{row['profile_id']}\t" + "\t".join(row["codes"])
                              for row in client.json("GET", path)["codes"])]

    # add profiles to week 1: a version, its tree (extended from week 1's), its partition
    tab(page, "Data").click()
    table_cell(page, "week 1", "name").click()
    added = tmp_path / "week2.tsv"
    added.write_text(ADDED)
    files.nth(0).set_input_files(str(added))
    page.get_by_label("Dataset name").fill("week 2")
    page.get_by_role("button", name="Add profiles to the selected dataset").click()
    note = "2 profiles were added to the 12 of the dataset it is a version of."
    expect(page.get_by_text(note)).to_be_visible()
    expect(table_cell(page, "week 2", "version of")).to_have_text("week 1")
    shots(page, "version")
    tab(page, "Jobs").click()
    page.get_by_label("Dataset", exact=True).select_option(label="week 2 (14 profiles)")
    page.get_by_role("button", name="Launch").click()
    expect(table_cell(page, "week 2", "status")).to_have_text("succeeded", timeout=JOB_WAIT_MS)
    row_button(page, "week 2", "Open").click()
    expect(page.locator(".pd-tree-colour-by")).to_be_visible()
    compute_and_open_partition(page, shots, client, "partition-week-2")
    expect(page.locator(".pd-tree-changes")).to_contain_text("grew")
    placements = page.locator(".pd-tree-placements")  # where 13 and 14 landed: 14 founds a cluster
    expect(placements).to_contain_text("new cluster")
    placements.scroll_into_view_if_needed()
    shots(page, "new-isolates")
    page.locator(".pd-tree-colour-by select").select_option("profiles added in this version")
    expect(page.locator(".pd-tree-legend")).to_contain_text("new in this version")
    shots(page, "new-profiles")
