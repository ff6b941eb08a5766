"""The plugin manager: one registry for connectors, embedders, rerankers, language model backends and graph extractors.

Built-in plugins register exactly the way a third-party package would: a module with hook
implementations. Third-party packages add theirs through the ``knowme`` entry point group::

    [project.entry-points.knowme]
    my_connector = "my_package.knowme_plugin"
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from knowme.connectors.base import Connector
    from knowme.graph.extractors import Extractor
    from knowme.llm.base import ChatBackend
    from knowme.retrieve.embedders import Embedder
    from knowme.retrieve.rerank import Reranker

hookspec = pluggy.HookspecMarker("knowme")
hookimpl = pluggy.HookimplMarker("knowme")

DEFAULT_PLUGINS = (
    "knowme.connectors.email",
    "knowme.connectors.calendar",
    "knowme.connectors.contacts",
    "knowme.connectors.notes",
    "knowme.connectors.chats",
    "knowme.connectors.browser",
    "knowme.connectors.messengers",
    "knowme.connectors.takeout",
    "knowme.connectors.health",
    "knowme.connectors.bank",
    "knowme.connectors.documents",
    "knowme.connectors.photos",
    "knowme.connectors.outlook",
    "knowme.connectors.location_history",
    "knowme.retrieve.embedders",
    "knowme.retrieve.rerank",
    "knowme.llm.embedded",
    "knowme.llm.openai_compat",
    "knowme.llm.extractive",
    "knowme.graph.extractors",
)


class HookSpecs:
    @hookspec
    def register_connectors(self) -> list[type[Connector]]:  # type: ignore[empty-body]
        """Return connector classes."""

    @hookspec
    def register_embedders(self) -> list[type[Embedder]]:  # type: ignore[empty-body]
        """Return embedder classes."""

    @hookspec
    def register_rerankers(self) -> list[type[Reranker]]:  # type: ignore[empty-body]
        """Return reranker classes (read a question with each top passage and score it)."""

    @hookspec
    def register_chat_backends(self) -> list[type[ChatBackend]]:  # type: ignore[empty-body]
        """Return chat backend classes."""

    @hookspec
    def register_extractors(self) -> list[type[Extractor]]:  # type: ignore[empty-body]
        """Return knowledge graph extractor classes (facts and commitments from records)."""


@cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("knowme")
    pm.add_hookspecs(HookSpecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name)
    pm.load_setuptools_entrypoints("knowme")
    return pm


def _collect(hook_results: list[list[type]]) -> dict[str, type]:
    found: dict[str, type] = {}
    for classes in hook_results:
        for cls in classes:
            found.setdefault(cls.name, cls)  # type: ignore[attr-defined]
    return found


def connectors() -> dict[str, type[Connector]]:
    return _collect(plugin_manager().hook.register_connectors())


def embedders() -> dict[str, type[Embedder]]:
    return _collect(plugin_manager().hook.register_embedders())


def rerankers() -> dict[str, type[Reranker]]:
    return _collect(plugin_manager().hook.register_rerankers())


def chat_backends() -> dict[str, type[ChatBackend]]:
    return _collect(plugin_manager().hook.register_chat_backends())


def extractors() -> dict[str, type[Extractor]]:
    return _collect(plugin_manager().hook.register_extractors())
