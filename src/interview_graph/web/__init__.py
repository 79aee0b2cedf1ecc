"""The workbench: the interviews in a browser, as server-rendered pages over the same graph
and event log as the HTTP API, served by the API's app at `/`."""

from interview_graph.web.assets import static_files
from interview_graph.web.routes import router as web_router

__all__ = ["static_files", "web_router"]
