"""The quarantine bucket: a file that cannot be processed is kept here, never dropped.

Beside the file, ``<name>.reason.json`` says what went wrong in the two layers of failure text:
a stable ``code`` for machines and a ``message`` + ``hint`` for the operator who will look at it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from minio import Minio
from urllib3.exceptions import HTTPError

from motcua.errors import TransientError


@dataclass(frozen=True)
class QuarantineReason:
    dossier: str
    source: str  # the intake key (or local path) the file came from
    sha256: str | None
    step: str
    code: str
    message: str
    hint: str
    at: str  # ISO 8601, UTC


def quarantine_file(
    client: Minio, bucket: str, *, dossier: str, name: str, path: Path, reason: QuarantineReason
) -> str:
    """Copy ``path`` and its reason into quarantine as ``{dossier}/{name}``, ``name`` being the
    file's path inside its intake folder (so ``a/x.pdf`` and ``b/x.pdf`` never overwrite each
    other); return the file's key. Re-running puts the same keys again (the newest reason
    wins), which is harmless: the bytes are the same."""
    key = f"{dossier}/{name}"
    body = json.dumps(asdict(reason), ensure_ascii=False, indent=2).encode()
    try:
        client.fput_object(bucket, key, str(path))
        client.put_object(bucket, f"{key}.reason.json", io.BytesIO(body), len(body),
                          content_type="application/json")
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while quarantining {key}: {exc}") from exc
    return key


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
