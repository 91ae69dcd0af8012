"""The dashboard served by ``panel serve dashboard/app.py --plugins api.plugin`` (``make serve``)."""

import panel as pn

from dashboard.page import Dashboard
from engine.services.root import shared_service

pn.extension("tabulator", notifications=True)
Dashboard(shared_service()).template().servable(title="PhyloDash")
