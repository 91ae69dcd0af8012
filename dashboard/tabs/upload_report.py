"""The reader's report on an upload, in words a biologist reads at a glance (Markdown)."""

from __future__ import annotations

from typing import Any

from dashboard.text import plain

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
