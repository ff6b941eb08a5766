"""The plugin manager: one registry for connectors, embedders, rerankers, language model backends and graph extractors.

Built-in plugins register exactly the way a third-party package would: a module with hook
implementations. Third-party packages add theirs through the ``knowme`` entry point group::

    [project.entry-points.knowme]
    my_connector = "my_package.knowme_plugin"
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, TypeVar

import pluggy

from knowme.errors import ConfigError

if TYPE_CHECKING:
    from knowme.connectors.base import Connector
    from knowme.extract.claims import Extractor
    from knowme.llm.base import ChatBackend
    from knowme.llm.embedders import Embedder
    from knowme.llm.rerank import Reranker

T = TypeVar("T")
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
    "knowme.llm.embedders",
    "knowme.llm.rerank",
    "knowme.llm.embedded",
    "knowme.llm.openai_compat",
    "knowme.llm.extractive",
    "knowme.extract.extractors",
    "knowme.extract.llm_extractor",
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


def find(role: str, known: Mapping[str, type[T]], name: str, *, setting: str) -> type[T]:
    """The plugin class ``name`` among ``known`` plugins of ``role``: the one lookup every role uses, with one
    error that names the setting and lists what is known."""
    cls = known.get(name)
    if cls is None:
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"unknown {role} {name!r} ({setting}); known: {names}")
    return cls


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


def embedder(name: str) -> type[Embedder]:
    return find("embedder", embedders(), name, setting="[embedder] name")


def reranker(name: str) -> type[Reranker]:
    return find("reranker", rerankers(), name, setting="[search] reranker")


def chat_backend(name: str) -> type[ChatBackend]:
    return find("chat backend", chat_backends(), name, setting="llm.backend")


def extractor(name: str) -> type[Extractor]:
    return find("graph extractor", extractors(), name, setting="[graph] extractors")
