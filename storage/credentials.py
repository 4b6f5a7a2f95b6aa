"""The embedded stack's S3 identities as data: the models of ``data_dir/credentials.json`` and
reading it. Generating the file is the stack's business (:mod:`motcua.infra.credentials`, which
imports this); the S3 client factory (:mod:`motcua.storage.s3`) only reads it, so storage never
imports the stack.

Four identities, each with only what its holder needs (DESIGN §2); what each may do is written
into SeaweedFS's identities file by :mod:`motcua.infra.seaweed`:

- ``admin``: creates the buckets and sets their object-lock configuration; used by ``up`` only.
- ``pipeline``: reads, writes and lists the intake, archive, quarantine and reports buckets.
- ``intake``: puts scans into the intake bucket, nothing else.
- ``auditor``: reads and lists the archive and reports buckets.

Secrets are never printed: :func:`mask` gives the form shown by ``status`` (``AKPI…7QX``).

File format (``credentials.json``)::

    {"version": 1, "created_at": "<UTC ISO time>",
     "identities": {"admin": {"access_key": "...", "secret_key": "..."}, "pipeline": {...}, ...}}
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from motcua.errors import ConfigurationError
from motcua.settings import Settings

Identity = Literal["admin", "pipeline", "intake", "auditor"]
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


class StackCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    created_at: datetime
    identities: dict[Identity, S3Credentials]

    def __getitem__(self, identity: Identity) -> S3Credentials:
        return self.identities[identity]

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
    missing = set(IDENTITIES) - set(creds.identities)
    if missing:
        raise ConfigurationError(
            f"{path} lacks the identities {sorted(missing)}",
            hint="remove it and run `motcua up` again to generate a complete set",
        )
    return creds
