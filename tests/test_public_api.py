"""The public surface is small and pinned; the docs cover every command and setting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

import knowme
from knowme.config import Settings
from knowme.interfaces.cli import app
from knowme.plugins import chat_backends, connectors, embedders

ROOT = Path(__file__).resolve().parents[1]


def test_exported_members() -> None:
    assert sorted(knowme.__all__) == sorted(
        [
            "AccessDenied",
            "Answer",
            "BackendError",
            "ConfigError",
            "Hit",
            "IngestError",
            "IngestReport",
            "ItemProblem",
            "KnowmeError",
            "ParseError",
            "PassphraseMissing",
            "Record",
            "Vault",
            "VaultCorrupt",
            "VaultError",
            "VaultExists",
            "VaultNotFound",
            "WrongPassphrase",
            "__version__",
            "open",
        ]
    )
    for name in knowme.__all__:
        assert hasattr(knowme, name)


def _commands(group: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, command in sorted(group.commands.items()):
        yield f"{prefix} {name}", command
        if hasattr(command, "commands"):  # a command group: its subcommands are documented one by one
            yield from _commands(command, f"{prefix} {name}")


def test_every_cli_command_is_documented() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = dict(_commands(typer.main.get_command(app), "knowme"))
    assert {"knowme init", "knowme ingest", "knowme search", "knowme ask", "knowme eval locomo"} <= set(commands)
    for name, command in commands.items():
        assert re.search(rf"^### `{name}\b", docs, re.M), f"docs/cli.md lacks {name}"
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--home", "--help"):
                    assert opt in docs, f"docs/cli.md lacks {name} {opt}"


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, model in Settings.model_fields.items():
        assert f"[{section}]" in docs
        for key in model.annotation.model_fields:  # type: ignore[union-attr]
            assert f"`{key}`" in docs, f"docs/configuration.md lacks {section}.{key}"


def test_every_plugin_is_documented() -> None:
    docs = (ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")
    for name in connectors():
        assert f"`{name}`" in docs, f"docs/connectors.md lacks connector {name}"
    assert set(chat_backends()) >= {"embedded", "openai", "extractive"}
    assert "minilm" in embedders()


def test_every_environment_variable_is_documented() -> None:
    from knowme.config import Environment

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    names = [f"KNOWME_{name.upper()}" for name in Environment.__dataclass_fields__ if name != "ci"]
    missing = [name for name in [*names, "CI"] if f"`{name}`" not in doc]
    assert not missing, f"undocumented environment variables: {missing}"
