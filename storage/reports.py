"""The reports bucket: JSON and HTML reports that operators and auditors read (fixity audits under
``fixity/``, the nightly KPI reports under ``kpi/``). Each object carries its SHA-256 in its
metadata, like the archive's."""

from __future__ import annotations

import hashlib
import io
import json

from minio import Minio
from minio.error import S3Error
from urllib3.exceptions import HTTPError

from motcua.storage.archive import SHA256_META
from motcua.storage.s3 import s3_error


def put_json(client: Minio, bucket: str, key: str, payload: object) -> str:
    """Write ``payload`` as UTF-8 JSON at ``key``; return the key."""
    body = json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode()
    return put_bytes(client, bucket, key, body, "application/json")


def put_html(client: Minio, bucket: str, key: str, page: str) -> str:
    """Write an HTML page (UTF-8) at ``key``; return the key."""
    return put_bytes(client, bucket, key, page.encode(), "text/html; charset=utf-8")


def put_bytes(client: Minio, bucket: str, key: str, body: bytes, content_type: str) -> str:
    try:
        client.put_object(bucket, key, io.BytesIO(body), len(body), content_type=content_type,
                          metadata={SHA256_META: hashlib.sha256(body).hexdigest()})
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"writing the report {key}") from exc
    return key


def list_reports(client: Minio, bucket: str, prefix: str = "") -> list[tuple[str, int, str]]:
    """Every report under ``prefix``: (key, bytes, last modified ISO time), newest first."""
    try:
        found = [(o.object_name, o.size or 0, o.last_modified.isoformat() if o.last_modified else "")
                 for o in client.list_objects(bucket, prefix=prefix or None, recursive=True)]
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"listing the reports under {prefix or '/'}") from exc
    return sorted(found, key=lambda f: (f[2], f[0]), reverse=True)
