"""Uploading a dataset: a profile file and an optional isolate file, stored in the selected project,
and the reader's report in words a biologist reads at a glance (Markdown). "Add profiles" stores the
files as a new version of the selected dataset instead (its profiles plus the new ones)."""

from __future__ import annotations

from functools import partial
from typing import Any

import param

from dashboard.session import SessionModel, part
from dashboard.text import plain
from dashboard.viewmodels.projects import ProjectPicker
from engine.errors import PhyloDashError

SHOWN_LINES = 20


def report_markdown(name: str, report: dict[str, Any]) -> str:
    """What the reader found in the files of dataset ``name``: counts, quirks and left-out lines."""
    lines = [f"### {plain(name)}",
             f"- **{report['profiles']:,} profiles** x **{report['loci']:,} loci**, "
             f"{report['missing_cells']:,} missing cells"]
    if report.get("isolates"):
        lines.append(f"- {report['isolates']:,} isolates, {report['isolates_without_profile']:,} of them "
                     "without a matching profile")
    if report.get("identical_groups"):
        groups = report["identical_groups"]
        lines.append(f"- {len(groups):,} groups of identical profiles (each drawn as one node), e.g. "
                     + ", ".join(plain(i) for i in groups[0][:5]))
    if report.get("duplicate_ids"):
        lines.append(f"- {len(report['duplicate_ids']):,} duplicate ids (the first row of each kept): "
                     + ", ".join(plain(i) for i in report["duplicate_ids"][:5]))
    lines += [f"- {plain(note)}" for note in report.get("notes", [])]
    for label, skipped in (("profile file", report.get("skipped_lines", [])),
                           ("isolate file", report.get("isolate_skipped_lines", []))):
        if skipped:
            lines.append(f"\n**{len(skipped):,} lines of the {label} were left out:**\n")
            lines.append("| line | reason |\n|---|---|")
            lines += [f"| {item['line']} | {plain(item['reason'])} |" for item in skipped[:SHOWN_LINES]]
            if len(skipped) > SHOWN_LINES:
                lines.append(f"\n... and {len(skipped) - SHOWN_LINES:,} more.")
    return "\n".join(lines)


class Upload(SessionModel):
    """The files of a new dataset of the picker's project; ``upload`` stores them and shows the report."""

    profiles = param.Bytes(default=None, allow_None=True, label="Profile file",
                           doc="MLST, cgMLST or SNP profiles: tab-separated, the first column the ST or "
                           "isolate id.")
    profiles_filename = param.String(default=None, allow_None=True, precedence=-1,
                                     doc="The profile file's name (the dataset's name when none is typed).")
    isolates = param.Bytes(default=None, allow_None=True, label="Isolate file (optional)",
                           doc="Isolate metadata: one row per isolate, with an ST column.")
    dataset_name = param.String("", label="Dataset name", doc="The new dataset's name.")
    upload = param.Event(label="Upload dataset", doc="Read and store the files.")
    add_profiles = param.Event(label="Add profiles to the selected dataset",
                               doc="Read the files (only new profiles and isolates) and store a new version "
                                   "of the selected dataset: its profiles plus these. The dataset stays.")
    picker = part(ProjectPicker, "The project the dataset goes to.")
    busy = param.Boolean(False, precedence=-1, doc="True while the files are read.")
    report = param.String("", doc="The reader's report on the last upload, or why it failed (Markdown).")

    def _init_callbacks(self) -> None:
        self.param.watch(self._on_upload, ["upload", "add_profiles"])
        self.picker.param.watch(self._on_project, "project")

    def _on_project(self, _event: object) -> None:
        self.report = ""

    async def _on_upload(self, event: Any) -> None:
        version = event.name == "add_profiles"
        if not self.profiles:
            self.report = "**Choose a profile file first.**"
            return
        if version and not self.picker.dataset:
            self.report = "**Select the dataset to add profiles to first** (in the table above)."
            return
        if self.busy:
            return
        self.param.update(busy=True, report="Reading the files...")
        catalog, user, project = self.session.service.catalog, self.session.user, self.picker.project
        profiles, isolates, parent = self.profiles, self.isolates or None, self.picker.dataset
        if version:
            name = self.dataset_name.strip()
            store = partial(catalog.add_version, user, project, parent, profiles, isolates, name=name)
        else:
            name = self.dataset_name.strip() or self.profiles_filename or "dataset"
            store = partial(catalog.add_dataset, user, project, profiles, isolates, name=name)
        try:
            dataset = await self.session.run(store)
        except PhyloDashError as error:
            self.report = f"**The dataset was not stored:** {plain(error)}"
            return
        finally:
            self.busy = False
        self.param.update(report=report_markdown(dataset.name, dict(dataset.report)), dataset_name="")
        await self.picker.refresh()
