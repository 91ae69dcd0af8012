"""The surveillance flow through the API: upload, infer, partition, add profiles (a version), infer
(extending the parent's tree), partition again: the names are kept as the README's rules say, and the
partition is served as JSON and as a table."""

from __future__ import annotations

import json
import uuid
from typing import Any

from api_client import FIXTURES, ApiTestCase, multipart

from engine.storage.records import PartitionRecord

# The fixture's 12 profiles (1-2-3 and 4..9 and 10-11 close together, 12 alone) and 150 profiles
# differing from every other at every locus: with lvs 3 these stay single, and the dataset is large
# enough for extending its tree to be cheaper than a full run.
PROFILES = (FIXTURES / "profiles.tsv").read_bytes() + b"".join(
    b"F%d" % k + b"\t%d" % (100 + k) * 7 + b"\n" for k in range(150))
HEADER = b"ST\tadk\tfumC\tgyrB\ticd\tmdh\tpurA\trecA\n"
# 13 joins 1-2-3, 14 joins 10-11, 15 is far from everything.
ADDED = HEADER + b"13\t1\t1\t1\t1\t1\t1\t2\n14\t9\t9\t9\t9\t9\t8\t8\n15\t20\t20\t20\t20\t20\t20\t20\n"


class SurveillanceTest(ApiTestCase):
    def run_job(self, project: str, body: dict[str, Any]) -> str:
        created = self.json("POST", f"/projects/{project}/jobs", body, expect=202)
        job = self.wait_job(project, created["job_id"])
        assert job["status"] == "succeeded", job
        return created["analysis_id"]

    def infer(self, project: str, dataset: str) -> dict[str, Any]:
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 3]}
        inference = self.run_job(project, body)
        return self.json("GET", f"/projects/{project}/datasets/{dataset}/inferences/{inference}")

    def partition(self, project: str, dataset: str, inference: str) -> dict[str, Any]:
        body = {"analysis": "partition", "algorithm": "cluster-codes",
                "parameters": [dataset, inference, {"thresholds": [1, 3]}]}
        found = self.run_job(project, body)
        return self.json("GET", f"{self.tree_path(project, dataset, inference)}/partitions/{found}")

    @staticmethod
    def tree_path(project: str, dataset: str, inference: str) -> str:
        return f"/projects/{project}/datasets/{dataset}/inferences/{inference}"

    def test_names_last_across_versions(self) -> None:
        project = self.project()
        first = self.upload(project, PROFILES)
        assert first["parent_id"] is None
        tree = self.infer(project, first["id"])
        assert (tree["computed"], tree["computed_from"], tree["computed_reason"]) == ("full", None, None)
        before = self.partition(project, first["id"], tree["id"])
        codes = {row["profile_id"]: row["codes"] for row in before["codes"]}
        assert before["thresholds"] == [1, 3] and before["named_from"] is None
        # Largest first: 4..9, then 1-2-3, then 10-11, then the single profiles by id (12, F0, F1, ...).
        assert [codes[p] for p in ("4", "9", "1", "3", "10", "11", "12", "F0", "F149")] == [
            [name, name] for name in ("C1", "C1", "C2", "C2", "C3", "C3", "C4", "C5", "C154")]

        data, content_type = multipart({"profiles": ("week2.tsv", ADDED)}, {"name": "week 2"})
        version = self.json("POST", f"/projects/{project}/datasets/{first['id']}/versions", raw=data,
                            headers={"Content-Type": content_type}, expect=201)
        assert (version["parent_id"], version["profiles"]) == (first["id"], 165)
        assert version["report"]["profiles"] == 3  # the report of the new rows
        grown = self.infer(project, version["id"])
        assert (grown["computed"], grown["computed_from"]) == ("incremental", tree["id"])
        after = self.partition(project, version["id"], grown["id"])
        assert after["named_from"] == before["id"]
        new_codes = {row["profile_id"]: row["codes"] for row in after["codes"]}
        assert all(new_codes[profile] == names for profile, names in codes.items())  # rule 1: kept or grew
        assert new_codes["13"] == codes["1"] and new_codes["14"] == codes["10"]
        assert new_codes["15"] == ["C155", "C155"]  # rule 4: the next unused number
        kinds = {(change["threshold"], change["name"]): change["kind"] for change in after["changes"]}
        assert kinds[(1, "C2")] == kinds[(1, "C3")] == "grew" and kinds[(1, "C155")] == "new"
        assert kinds[(1, "C1")] == kinds[(1, "C4")] == "kept"

        path = f"{self.tree_path(project, version['id'], grown['id'])}/partitions/{after['id']}"
        table = self.call("GET", f"{path}?format=tsv")
        assert table.code == 200 and table.headers["Content-Type"].startswith("text/tab-separated-values")
        lines = table.body.decode().splitlines()
        assert lines[0] == "profile_id\t1\t3" and "15\tC155\tC155" in lines and len(lines) == 166

        # Where the new profiles landed (no isolate table: the profiles are the isolates). 13 is one
        # locus from 1 and two from 2 and 3, then 7 from everything; 14 is one from 11; 15 is 7 from
        # everything and founds its cluster. The first partition's dataset is no version: no placements.
        assert before["placements"] == []
        placed = {row["isolate"]: row for row in after["placements"]}
        assert list(placed) == ["13", "14", "15"] and placed["13"]["profile"] == "13"
        near = [(n["isolate"], n["distance"]) for n in placed["13"]["nearest"]]
        assert (placed["13"]["distance"], near) == (1, [("1", 1), ("2", 2), ("3", 2), ("4", 7), ("5", 7)])
        assert placed["14"]["nearest"][0] == {"isolate": "11", "distance": 1}
        assert placed["13"]["clusters"] == [{"threshold": 1, "name": codes["1"][0], "founded": False},
                                            {"threshold": 3, "name": codes["1"][1], "founded": False}]
        assert placed["15"]["clusters"] == [{"threshold": 1, "name": "C155", "founded": True},
                                            {"threshold": 3, "name": "C155", "founded": True}]
        assert self.json("GET", f"{path}/placements") == after["placements"]
        table = self.call("GET", f"{path}/placements?format=tsv")
        assert table.code == 200 and table.headers["Content-Type"].startswith("text/tab-separated-values")
        lines = table.body.decode().splitlines()
        assert lines[0] == "isolate\tprofile\tdistance\tnearest\tcluster_1\tnew_1\tcluster_3\tnew_3"
        assert lines[1] == f"13\t13\t1\t1:1, 2:2, 3:2, 4:7, 5:7\t{codes['1'][0]}\tno\t{codes['1'][1]}\tno"
        assert lines[3] == "15\t15\t7\t1:7, 2:7, 3:7, 4:7, 5:7\tC155\tyes\tC155\tyes" and len(lines) == 4
        assert self.call("GET", f"{path}/placements?format=csv").code == 400
        first_path = f"{self.tree_path(project, first['id'], tree['id'])}/partitions/{before['id']}"
        assert self.call("GET", f"{first_path}/placements?format=tsv").body.decode().count("\n") == 1

    def test_a_partition_stored_before_placement_reports_still_opens_and_says_it_has_none(self) -> None:
        project = self.project()
        first = self.upload(project, PROFILES)
        data, content_type = multipart({"profiles": ("week2.tsv", ADDED)}, {})
        version = self.json("POST", f"/projects/{project}/datasets/{first['id']}/versions", raw=data,
                            headers={"Content-Type": content_type}, expect=201)
        grown = self.infer(project, version["id"])
        now = self.partition(project, version["id"], grown["id"])
        # The same partition as an older PhyloDash stored it: its arrays without the report.
        record = self.service.store.get(PartitionRecord, now["id"])
        arrays = self.service.store.get_arrays(record.arrays)
        self.service.store.put_arrays("partitions/before-placements",
                                      {k: v for k, v in arrays.items() if not k.startswith("placement_")})
        old = self.service.store.insert(record.replace(id=str(uuid.uuid4()),
                                                       arrays="partitions/before-placements"))
        path = f"{self.tree_path(project, version['id'], grown['id'])}/partitions/{old.id}"
        opened = self.json("GET", path)
        assert opened["codes"] == now["codes"] and opened["placements"] is None
        assert self.call("GET", f"{path}?format=tsv").code == 200
        for query in ("", "?format=tsv"):
            answer = self.call("GET", f"{path}/placements{query}")
            detail = json.loads(answer.body)["detail"]
            assert answer.code == 404 and "before placement reports were kept" in detail

    def test_bad_versions_and_partitions_are_400s_that_store_nothing(self) -> None:
        project = self.project()
        first = self.upload(project, PROFILES)
        same_ids = HEADER + b"1\t1\t1\t1\t1\t1\t1\t1\n"
        data, content_type = multipart({"profiles": ("again.tsv", same_ids)}, {})
        answer = self.call("POST", f"/projects/{project}/datasets/{first['id']}/versions", raw=data,
                           headers={"Content-Type": content_type})
        assert answer.code == 400 and "in the dataset already" in json.loads(answer.body)["detail"]
        assert len(self.json("GET", f"/projects/{project}/datasets")) == 1
        tree = self.infer(project, first["id"])
        for options, detail in (({"thresholds": [-1]}, ">= 0"), ({"thresholds": "5"}, "a list")):
            body = {"analysis": "partition", "algorithm": "cluster-codes",
                    "parameters": [first["id"], tree["id"], options]}
            answer = self.call("POST", f"/projects/{project}/jobs", body)
            assert answer.code == 400 and detail in json.loads(answer.body)["detail"]
        body = {"analysis": "partition", "algorithm": "radial", "parameters": [first["id"], tree["id"]]}
        assert "not a partition algorithm" in json.loads(self.call("POST", f"/projects/{project}/jobs",
                                                                   body).body)["detail"]
        path = f"{self.tree_path(project, first['id'], tree['id'])}/partitions"
        assert self.call("GET", f"{path}/{tree['id']}").code == 404
        partition = self.partition(project, first["id"], tree["id"])
        assert self.call("GET", f"{path}/{partition['id']}?format=csv").code == 400
