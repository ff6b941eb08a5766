"""The web page: server-rendered Jinja2 templates and one small vanilla script, no build step.

Pages (``/`` chat, ``/memory`` inspector, ``/people`` with a picture of each person's neighbourhood in the
knowledge graph, ``/timeline``, ``/preferences`` editor, ``/digest``, ``/audit`` with grants, ``/status``) are shells
that hold no personal data; the script fetches
everything from the API with the bearer token, which it keeps in the tab's ``sessionStorage``. ``knowme serve``
prints a link with the token in the URL fragment (``/#token=...``: fragments never reach the server or its logs);
the script stores it and removes it from the address bar. Without a token the page asks for one.

A record opened anywhere (a citation, a search hit, a fact's source) can be rated (feedback for the re-ranker,
with the search it came from) or forgotten after a preview of what would go.

Views for areas a version does not have yet are listed in :data:`PLANNED` and rendered as clearly marked
placeholders, so adding one is a template and a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

#: (path, label, template) of the views this version serves.
PAGES = (
    ("/", "Chat", "chat.html"),
    ("/memory", "Memory", "memory.html"),
    ("/people", "People", "people.html"),
    ("/timeline", "Timeline", "timeline.html"),
    ("/preferences", "Preferences", "preferences.html"),
    ("/digest", "Digest", "digest.html"),
    ("/audit", "Audit", "audit.html"),
    ("/status", "Status", "status.html"),
)
#: (path, label, what it will show) of views announced but not built yet (none in this version).
PLANNED: tuple[tuple[str, str, str], ...] = ()


def mount_web(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app``."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    nav = [(path, label, False) for path, label, _ in PAGES] + [(path, label, True) for path, label, _ in PLANNED]

    def page(template: str, **extra: object) -> Callable[[Request], HTMLResponse]:
        def render(request: Request) -> HTMLResponse:
            context = {"nav": nav, "path": request.url.path, **extra}
            return templates.TemplateResponse(request, template, context)

        return render

    for path, label, template in PAGES:
        app.add_api_route(
            path, page(template, title=label), methods=["GET"], include_in_schema=False, response_class=HTMLResponse
        )
    for path, label, what in PLANNED:
        app.add_api_route(
            path,
            page("planned.html", title=label, what=what),
            methods=["GET"],
            include_in_schema=False,
            response_class=HTMLResponse,
        )
    app.state.features["web"] = True
