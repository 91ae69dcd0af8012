"""The dashboard served by ``panel serve dashboard/app.py --plugins api.routes`` (``make serve``)."""

import panel as pn

from dashboard.jobs_page import JobsPage
from engine.service import shared_service

pn.extension("tabulator")
JobsPage(shared_service()).view().servable(title="PhyloDash")
