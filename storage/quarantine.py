"""The quarantine bucket: a file that cannot be processed is kept here, never dropped.

Beside the file, ``<key>.reason.json`` says what went wrong in the two layers of failure text:
a stable ``code`` for machines and a ``message`` + ``hint`` for the operator who will look at it,
with the file's original name (escaped) and the intake key it came from.

Keys are built only from validated parts, never from the submitted name (which may hold a
newline or a right-to-left override): ``{dossier_code}/{document_id}{.ext}`` for a document,
``{dossier_code}/dossier.json`` for a refused manifest. The dossier code was validated against
its pattern, the document id is hex, and the extension is at most eight letters or digits.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from minio import Minio
from minio.error import S3Error
from urllib3.exceptions import HTTPError

from motcua.storage.s3 import s3_error
from motcua.text import safe_key_name


@dataclass(frozen=True)
class QuarantineReason:
    dossier: str
    source: str  # the intake key the file came from (JSON-escaped like any string)
    name: str  # the original file name, NFC, control characters escaped
    sha256: str | None
    step: str
    code: str
    message: str
    hint: str
    at: str  # ISO 8601, UTC


def document_key(dossier: str, document_id: str, name: str) -> str:
    """``{dossier}/{document_id}{.ext}``, the extension taken from the name only if it is
    plain letters or digits."""
    stem, dot, ext = safe_key_name(name).rpartition(".")
    return f"{dossier}/{document_id}.{ext.lower()}" if dot and stem else f"{dossier}/{document_id}"


def quarantine_file(client: Minio, bucket: str, *, key: str, path: Path | None = None,
                    data: bytes | None = None, reason: QuarantineReason) -> str:
    """Put the bytes (from ``path`` or ``data``) and their reason at ``key``; return the key.
    Re-running puts the same keys again (the newest reason wins), which is harmless: the bytes
    are the same."""
    body = json.dumps(asdict(reason), ensure_ascii=False, indent=2).encode()
    try:
        if path is not None:
            client.fput_object(bucket, key, str(path))
        else:
            payload = data or b""
            client.put_object(bucket, key, io.BytesIO(payload), len(payload))
        client.put_object(bucket, f"{key}.reason.json", io.BytesIO(body), len(body),
                          content_type="application/json")
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"quarantining {key}") from exc
    return key
