"""The Data tab: a new project, the selected project's datasets, and the upload with its report.

The project picker itself sits in the page's sidebar (:func:`project_select`).
"""

from __future__ import annotations

import panel as pn

from dashboard.viewmodels.projects import ProjectPicker
from dashboard.viewmodels.upload import Upload

FILE_TYPES = ".tsv,.txt,.tab,.csv,.mlst,.profile,.profiles,.gz"
UPLOAD_HELP = ("A profile file (MLST, cgMLST or SNP; tab-separated, first column the ST or isolate id) and, "
               "optionally, an isolate file with metadata (one row per isolate, with an ST column); either "
               "may be gzip-compressed (`.gz`). Drop the files on the buttons or choose them. *Add profiles* "
               "takes files of new rows only and makes a new version of the dataset selected above (its "
               "profiles plus these); its trees are extended from the dataset's.")


def project_select(picker: ProjectPicker) -> pn.widgets.Select:
    """The project picker (its options read ``Name (visibility)``)."""
    return pn.widgets.Select.from_param(picker.param.project, width=300,
                                        description="The project whose datasets and jobs the page shows.")


def datasets_table(picker: ProjectPicker) -> pn.widgets.Tabulator:
    """The project's datasets; selecting a row selects that dataset in the picker."""
    table = pn.widgets.Tabulator(picker.rows, disabled=True, show_index=False, sizing_mode="stretch_width",
                                 height=220, selectable=1)

    def select(event: object) -> None:
        rows = table.selection
        picker.dataset = table.value.iloc[rows[0]]["id"] if rows else None

    table.param.watch(select, "selection")
    return table


def file_input(upload: Upload, content: str, filename: str | None = None) -> pn.widgets.FileInput:
    """A file input bound to the upload's ``content`` parameter (and its file name to ``filename``)."""
    widget = pn.widgets.FileInput.from_param(upload.param[content], name="", accept=FILE_TYPES,
                                             description=None)
    if filename:
        widget.link(upload, filename=filename)
    return widget


def data_tab(picker: ProjectPicker, upload: Upload) -> pn.viewable.Viewable:
    """The tab's layout."""
    upload_form = pn.Column(
        "### Upload a dataset",
        pn.pane.Markdown(UPLOAD_HELP),
        pn.Row(pn.Column("Profile file", file_input(upload, "profiles", "profiles_filename")),
               pn.Column("Isolate file (optional)", file_input(upload, "isolates"))),
        pn.widgets.TextInput.from_param(upload.param.dataset_name, placeholder="e.g. Campylobacter 2026",
                                        width=300, description=None),
        pn.Row(pn.widgets.Button.from_param(upload.param.upload, color="primary", width=160,
                                            disabled=upload.param.busy, description=None),
               pn.widgets.Button.from_param(upload.param.add_profiles, width=280, disabled=upload.param.busy,
                                            css_classes=["pd-add-profiles"])),
        pn.pane.Markdown(upload.param.report, sizing_mode="stretch_width", name="upload report"),
    )
    return pn.Column(
        pn.Row(pn.widgets.TextInput.from_param(picker.param.new_name, placeholder="name", width=300,
                                                 description=None),
               pn.widgets.Select.from_param(picker.param.visibility, width=140),
               pn.widgets.Button.from_param(picker.param.create, width=140, align="end", description=None)),
        "### Datasets of the project",
        datasets_table(picker),
        pn.widgets.Button.from_param(picker.param.delete, color="danger", width=200),
        pn.pane.Markdown(picker.param.message, sizing_mode="stretch_width", name="data message"),
        upload_form,
        name="Data", sizing_mode="stretch_width",
    )
