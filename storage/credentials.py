"""The embedded stack's S3 identities as data: the models of ``data_dir/credentials.json`` and
reading it. Generating the file is the stack's business (:mod:`motcua.infra.credentials`, which
imports this); the S3 client factory (:mod:`motcua.storage.s3`) only reads it, so storage never
imports the stack.

Five identities, each with only what its holder needs (DESIGN §2); what each may do is written
into SeaweedFS's identities file by :mod:`motcua.infra.seaweed`:

- ``admin``: creates the buckets and sets their object-lock configuration; used by ``up`` only.
- ``pipeline``: reads, writes and lists the intake, archive, quarantine and reports buckets.
- ``intake``: puts scans into the intake bucket, nothing else.
- ``auditor``: reads and lists the archive and reports buckets.
- ``drop``: lists and writes the intake bucket, nothing else; used by the scanner drop
  (:mod:`motcua.infra.drop`, rclone serving intake over SFTP and WebDAV), which must list what
  it serves.

Besides the S3 identities, ``drop`` holds the login of the scanner drop (user and password that
scanners type; the same for SFTP and WebDAV).

Secrets are never printed: :func:`mask` gives the form shown by ``status`` (``AKPI…7QX``).

File format (``credentials.json``)::

    {"version": 1, "created_at": "<UTC ISO time>",
     "identities": {"admin": {"access_key": "...", "secret_key": "..."}, "pipeline": {...}, ...},
     "drop": {"user": "...", "password": "..."}}

A file written before an identity or ``drop`` existed still loads (they are ``None``/missing);
``motcua up`` adds what is missing (:func:`motcua.infra.credentials.load_or_create_credentials`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from motcua.errors import ConfigurationError
from motcua.settings import Settings

Identity = Literal["admin", "pipeline", "intake", "auditor", "drop"]
IDENTITIES: tuple[Identity, ...] = get_args(Identity)

CREDENTIALS_FILE = "credentials.json"


class S3Credentials(BaseModel):
    """One identity's key pair. The secret is a ``SecretStr`` so that repr/str never show it."""

    model_config = ConfigDict(frozen=True)

    access_key: str
    secret_key: SecretStr

    @property
    def masked(self) -> str:
        return mask(self.access_key)


class DropLogin(BaseModel):
    """The scanner drop's login (SFTP and WebDAV). The password is never shown by ``status``."""

    model_config = ConfigDict(frozen=True)

    user: str
    password: SecretStr


class StackCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    created_at: datetime
    identities: dict[Identity, S3Credentials]
    drop: DropLogin | None = None  # None only in a file written before the drop existed

    def __getitem__(self, identity: Identity) -> S3Credentials:
        try:
            return self.identities[identity]
        except KeyError:
            raise ConfigurationError(
                f"the stack's credentials have no {identity!r} identity (made by an older motcua)",
                hint="run `motcua up`: it adds the missing identities to credentials.json",
            ) from None

    @property
    def complete(self) -> bool:
        """Every identity and the drop's login are there (else ``up`` adds the missing ones)."""
        return set(IDENTITIES) <= set(self.identities) and self.drop is not None

    def masked(self) -> dict[str, str]:
        """Access keys as they may be shown to people: ``{"pipeline": "PIPE…x7Q", ...}``."""
        return {name: creds.masked for name, creds in self.identities.items()}


def mask(value: str) -> str:
    """Enough of a key to tell two apart, not enough to use it."""
    if len(value) <= 8:
        return "…"
    return f"{value[:4]}…{value[-3:]}"


def credentials_path(settings: Settings) -> Path:
    return settings.data_dir / CREDENTIALS_FILE


def load_credentials(settings: Settings) -> StackCredentials | None:
    """The stored credentials, or ``None`` if ``up`` has never run in this data directory."""
    path = credentials_path(settings)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        creds = StackCredentials.model_validate_json(raw)
    except ValidationError as exc:
        raise ConfigurationError(
            f"{path} is not a motcua credentials file ({exc.error_count()} problems)",
            hint="remove it and run `motcua up` again: new keys are generated and the stored data "
            "stays (SeaweedFS's identities file is rewritten from it on every start)",
        ) from exc
    return creds  # possibly incomplete (an older file): `up` completes it
