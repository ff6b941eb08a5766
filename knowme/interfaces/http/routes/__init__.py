"""One router per area of the HTTP API. :data:`ROUTERS` is what :func:`knowme.interfaces.http.create_app` mounts.

To add an area, write a module here with an ``APIRouter`` named ``router``
whose endpoints depend on :func:`knowme.interfaces.http.auth.require`, and add it to :data:`ROUTERS`.
"""

from __future__ import annotations

from fastapi import APIRouter

from knowme.interfaces.http.routes import ask, graph, ingest, memory, openai_proxy, pending, persona, privacy, status

ROUTERS: tuple[APIRouter, ...] = (
    status.router,
    memory.router,
    ask.router,
    ingest.router,
    graph.router,
    persona.router,
    privacy.router,
    pending.router,
    openai_proxy.router,
)
