"""The HTTP API (FastAPI) and, later, the investigators' web UI."""
