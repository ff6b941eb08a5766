"""Opening a vault: :func:`open` (creating it on first use), :func:`create`, and the check that a vault's vectors
were made by the embedder the settings name.

With ``KNOWME_STORE=postgresql://...`` and ``KNOWME_USER`` set, :func:`open` opens that user's data in the vault
service instead (see docs/service.md); the home folder then only holds settings, and no passphrase is needed.
"""

from __future__ import annotations

import os

from knowme.config import load_settings, user_dir
from knowme.errors import ConfigError, VaultCorrupt, VaultExists, VaultNotFound
from knowme.llm.embedders import Embedder, make_embedder
from knowme.store.base import Store
from knowme.store.choose import refuse_in_service_mode, service_store
from knowme.store.keys import KEY_FILE, create_key_file, resolve_passphrase
from knowme.store.rekey import unlock_key
from knowme.store.sqlcipher import VAULT_FILE, SQLCipherStore
from knowme.vault import Vault

#: The embedder every vault used before vaults recorded which one made their vectors.
FIRST_EMBEDDER = "minilm"


def vault_exists(home: str | os.PathLike[str] | None = None) -> bool:
    return (user_dir(home) / VAULT_FILE).exists()


def create(home: str | os.PathLike[str] | None = None, passphrase: str | None = None) -> Vault:
    """Make a new, empty vault; refuse if one exists."""
    refuse_in_service_mode("creating a vault")
    folder = user_dir(home)
    if (folder / VAULT_FILE).exists():
        raise VaultExists(f"a vault already exists in {folder}")
    return open(folder, passphrase)


def open(  # noqa: A001 - the documented API name
    home: str | os.PathLike[str] | None = None, passphrase: str | None = None, *, create: bool = True
) -> Vault:
    """Open the vault in ``home`` (default ``KNOWME_HOME``), creating it on first use unless ``create=False``."""
    folder = user_dir(home)
    settings = load_settings(folder)
    served = service_store(lambda: make_embedder(settings))
    if served is not None:
        _checked(served[0], served[1])
        return Vault(folder, served[0], served[1], settings)
    db = folder / VAULT_FILE
    keyfile = folder / KEY_FILE
    if db.exists() and not keyfile.exists():
        raise VaultCorrupt(f"{keyfile} is missing: the vault in {folder} cannot be opened without it")
    if keyfile.exists():
        key = unlock_key(folder, resolve_passphrase(folder, passphrase, creating=False), db)
    elif not create:
        raise VaultNotFound(f"no vault in {folder}; create one with `knowme init`")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        key = create_key_file(folder, resolve_passphrase(folder, passphrase, creating=True))
    embedder = make_embedder(settings)
    store = SQLCipherStore(db, key, dim=embedder.dim)
    _checked(store, embedder)
    return Vault(folder, store, embedder, settings)


def check_embedder(store: Store, embedder: Embedder) -> None:
    """Vectors compare only with vectors of the same model: remember which embedder made the store's, refuse another.

    The dimension alone does not tell two 384-dimensional models apart, and a question embedded by one model finds
    nothing sensible among the vectors of another.
    """
    stored = store.get_meta("embedder")
    if stored is None:
        stored = FIRST_EMBEDDER if store.chunk_count() else embedder.name
        store.set_meta("embedder", stored)
    if stored != embedder.name:
        raise ConfigError(
            f"this vault's vectors were made by the {stored!r} embedder, but the settings name {embedder.name!r}; "
            f'set [embedder] name = "{stored}" in config.toml, or export and import into a new vault to change it'
        )


def _checked(store: Store, embedder: Embedder) -> None:
    try:
        check_embedder(store, embedder)
    except ConfigError:
        store.close()
        raise
