"""The embedded stack's S3 identities: generated once, kept in ``data_dir/credentials.json`` (0600).

Why generated and not configured: the embedded stack must work offline on a fresh machine with no
secret typed anywhere, and no secret may live in the repository. ``motcua up`` creates the file on
its first run with :mod:`secrets` and reuses it afterwards, so data written by one ``up`` stays
readable after the next one.

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

import json
import os
import secrets
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from motcua.errors import ConfigurationError
from motcua.settings import Settings

Identity = Literal["admin", "pipeline", "intake", "auditor"]
IDENTITIES: tuple[Identity, ...] = get_args(Identity)

CREDENTIALS_FILE = "credentials.json"
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_ACCESS_KEY_LENGTH = 20  # the shape of an AWS access key id
_SECRET_KEY_BYTES = 30  # 40 url-safe characters, the length of an AWS secret key


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


def load_or_create_credentials(settings: Settings) -> StackCredentials:
    """Reuse the data directory's credentials, or generate them on the very first ``up``."""
    existing = load_credentials(settings)
    if existing is not None:
        return existing
    creds = StackCredentials(
        created_at=datetime.now(UTC),
        identities={name: _generate() for name in IDENTITIES},
    )
    payload = creds.model_dump(mode="json")
    for name, pair in creds.identities.items():
        payload["identities"][name]["secret_key"] = pair.secret_key.get_secret_value()
    write_private_json(credentials_path(settings), payload)
    return creds


def write_private_json(path: Path, payload: object) -> None:
    """JSON readable by its owner only (0600 from creation, never chmod-ed after), atomically."""
    write_private_text(path, json.dumps(payload, indent=2) + "\n")


def write_private_text(path: Path, text: str) -> None:
    """Write a file readable by its owner only: 0600 from creation (never chmod-ed after the
    secret is in it), fsynced and renamed into place, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # O_CREAT's mode is filtered by the umask; make sure
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _generate() -> S3Credentials:
    access = "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(_ACCESS_KEY_LENGTH))
    return S3Credentials(access_key=access, secret_key=secrets.token_urlsafe(_SECRET_KEY_BYTES))
