"""The dashboard served by ``panel serve dashboard/app.py --plugins api.plugin`` (``make serve``)."""

import panel as pn

from dashboard.page import Dashboard
from engine.services.root import shared_service


def browser_address() -> str:
    """The network address of the browser this session serves (failed sign-ins are counted by it)."""
    context = pn.state.curdoc.session_context if pn.state.curdoc is not None else None
    request = getattr(getattr(context, "request", None), "_request", None)  # Tornado's request
    return getattr(request, "remote_ip", None) or ""


pn.extension("tabulator", notifications=True)
Dashboard(shared_service(), browser_address()).template().servable(title="PhyloDash")
