"""Generating the embedded stack's S3 identities, once, into ``data_dir/credentials.json`` (0600).

Why generated and not configured: the embedded stack must work offline on a fresh machine with no
secret typed anywhere, and no secret may live in the repository. ``motcua up`` creates the file on
its first run with :mod:`secrets` and reuses it afterwards, so data written by one ``up`` stays
readable after the next one. The models and reading live in :mod:`motcua.storage.credentials`.

A file written by an older motcua (before the ``drop`` identity and the scanner drop's login) is
completed, not refused: the missing pieces are generated and the file is rewritten (0600), the
existing keys kept as they are.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from datetime import UTC, datetime
from pathlib import Path

from motcua.settings import Settings
from motcua.storage.credentials import (
    IDENTITIES,
    DropLogin,
    S3Credentials,
    StackCredentials,
    credentials_path,
    load_credentials,
)

_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_ACCESS_KEY_LENGTH = 20  # the shape of an AWS access key id
_SECRET_KEY_BYTES = 30  # 40 url-safe characters, the length of an AWS secret key
_DROP_PASSWORD_BYTES = 18  # 24 url-safe characters: typed once into each scanner


def load_or_create_credentials(settings: Settings) -> StackCredentials:
    """Reuse the data directory's credentials, generate them on the very first ``up``, or add
    what an older file lacks (an identity, the drop's login) and keep the rest."""
    existing = load_credentials(settings)
    if existing is not None and existing.complete:
        return existing
    kept = existing.identities if existing else {}
    drop = (existing.drop if existing else None) or _generate_drop_login()
    creds = StackCredentials(
        created_at=existing.created_at if existing else datetime.now(UTC),
        identities={name: kept.get(name) or _generate() for name in IDENTITIES},
        drop=drop,
    )
    payload = creds.model_dump(mode="json")
    for name, pair in creds.identities.items():
        payload["identities"][name]["secret_key"] = pair.secret_key.get_secret_value()
    payload["drop"]["password"] = drop.password.get_secret_value()
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


def _generate_drop_login() -> DropLogin:
    return DropLogin(user="scanner", password=secrets.token_urlsafe(_DROP_PASSWORD_BYTES))
