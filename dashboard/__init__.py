"""PhyloDash dashboard: the Panel app, a thin view over the same engine services as the API."""
