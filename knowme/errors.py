"""Exceptions raised by knowme.

Every error knowme raises on purpose derives from :class:`KnowmeError`, so callers can catch
one type. The command line maps each to one friendly line and an exit code.

    KnowmeError
    ├── ConfigError            a setting is missing, unknown or invalid
    ├── VaultError
    │   ├── VaultNotFound      no vault at KNOWME_HOME yet (run `knowme init`)
    │   ├── VaultExists        `init` on a folder that already holds a vault
    │   ├── WrongPassphrase    the key does not open the vault
    │   ├── PassphraseMissing  no passphrase from the environment, keyring or a prompt
    │   ├── VaultCorrupt       the file opens but its contents are damaged
    │   └── StoreUnreachable   the service database (KNOWME_STORE) cannot be reached
    ├── IngestError            a path cannot be ingested at all (not found, unknown format)
    ├── ParseError             one item of a source cannot be read (reported, never fatal)
    ├── BackendError           a language model or embedder failed or is unreachable
    ├── AccessDenied           a client's token is unknown, expired or revoked
    ├── SourceError            a registered source is unknown, unreachable or refuses the credentials
    └── LearnError             too little of the user's own text to learn from, or no adapter trained yet
"""

from __future__ import annotations


class KnowmeError(Exception):
    """Base class for every error knowme raises on purpose."""

    exit_code = 1


class ConfigError(KnowmeError):
    exit_code = 2


class VaultError(KnowmeError):
    exit_code = 3


class VaultNotFound(VaultError):
    pass


class VaultExists(VaultError):
    pass


class WrongPassphrase(VaultError):
    exit_code = 4


class PassphraseMissing(VaultError):
    exit_code = 4


class VaultCorrupt(VaultError):
    pass


class StoreUnreachable(VaultError):
    """The service database named by ``KNOWME_STORE`` refused the connection or went away."""


class IngestError(KnowmeError):
    exit_code = 5


class ParseError(KnowmeError):
    """One item of a source could not be read. Connectors report it and go on."""


class BackendError(KnowmeError):
    exit_code = 6


class AccessDenied(KnowmeError):
    """A client's grant token is unknown, expired or revoked."""

    exit_code = 7


class SourceError(KnowmeError):
    """A registered source cannot be used: unknown name, server down, wrong password, missing credentials."""

    exit_code = 8


class LearnError(KnowmeError):
    """Learning cannot start or finish: too little of the user's own writing, no adapter yet, a bad budget."""

    exit_code = 9
