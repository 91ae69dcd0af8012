"""The dashboard served by ``panel serve dashboard/app.py --plugins api.routes`` (``make serve``)."""

import panel as pn

from dashboard.shell import Dashboard
from engine.service import shared_service

pn.extension("tabulator", notifications=True)
Dashboard(shared_service()).template().servable(title="PhyloDash")
