"""The signed archive on S3: write once under object lock, read back for auditors.

Every archived document is three objects under ``{agency}/{yyyy}/{dossier}/{document_id}``:
the signed PDF (``.pdf``), its OCR text (``.txt``) and a JSON manifest (``.json``: hashes, steps,
signer). Each carries its SHA-256 in the object metadata (``x-amz-meta-sha256``) and a COMPLIANCE
retention, so not even the pipeline's own identity can delete or shorten it.

Idempotency: a put first asks whether the key exists. If it does, nothing is written and the
existing object is reported (``existed=True``) — a run that crashed after the put but before the
database commit adopts the object it already wrote instead of making a second version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention
from urllib3.exceptions import HTTPError

from motcua.errors import ArchiveIntegrityError
from motcua.storage.s3 import s3_error

SHA256_META = "sha256"


@dataclass(frozen=True)
class ArchiveKeys:
    pdf: str
    txt: str
    manifest: str

    @classmethod
    def for_document(
        cls, *, agency_code: str, year: int, dossier_code: str, document_id: str
    ) -> ArchiveKeys:
        stem = f"{agency_code}/{year:04d}/{dossier_code}/{document_id}"
        return cls(pdf=f"{stem}.pdf", txt=f"{stem}.txt", manifest=f"{stem}.json")


@dataclass(frozen=True)
class StoredObject:
    key: str
    version_id: str | None
    sha256: str | None  # from the object's metadata
    size: int
    retention_mode: str | None
    retain_until: dt.datetime | None
    existed: bool = False


def stat(client: Minio, bucket: str, key: str, version_id: str | None = None) -> StoredObject | None:
    """What S3 says about ``key`` (None if absent), retention included."""
    try:
        info = client.stat_object(bucket, key, version_id=version_id)
    except S3Error as exc:
        if exc.code in {"NoSuchKey", "NoSuchVersion", "NoSuchObject"}:
            return None
        raise s3_error(exc, f"reading {key}") from exc
    except HTTPError as exc:
        raise s3_error(exc, f"reading {key}") from exc
    meta = {k.lower(): v for k, v in (info.metadata or {}).items()}
    until = meta.get("x-amz-object-lock-retain-until-date")
    return StoredObject(
        key=key,
        version_id=info.version_id,
        sha256=meta.get(f"x-amz-meta-{SHA256_META}"),
        size=info.size or 0,
        retention_mode=meta.get("x-amz-object-lock-mode"),
        retain_until=dt.datetime.fromisoformat(until.replace("Z", "+00:00")) if until else None,
    )


def put_locked(
    client: Minio,
    bucket: str,
    key: str,
    data: bytes,
    *,
    content_type: str,
    retain_until: dt.datetime,
    metadata: dict[str, str] | None = None,
) -> StoredObject:
    """Write ``data`` at ``key`` under COMPLIANCE retention until ``retain_until``, once."""
    existing = stat(client, bucket, key)
    if existing is not None:
        # Adopted, not trusted blindly: what an earlier run left must be locked and hashed.
        if existing.retention_mode != COMPLIANCE or not existing.sha256:
            raise ArchiveIntegrityError(
                f"{key} already exists without COMPLIANCE retention or a SHA-256",
                hint="someone wrote to the archive outside motcua; investigate before archiving",
            )
        return StoredObject(**{**existing.__dict__, "existed": True})
    digest = hashlib.sha256(data).hexdigest()
    meta = {SHA256_META: digest, **(metadata or {})}
    try:
        result = client.put_object(
            bucket, key, io.BytesIO(data), len(data), content_type=content_type,
            metadata=meta, retention=Retention(COMPLIANCE, retain_until),
        )
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"archiving {key}") from exc
    # Confirm before anyone records "archived": the object is there, with our hash and lock.
    stored = stat(client, bucket, key, version_id=result.version_id)
    if stored is None or stored.sha256 != digest or stored.size != len(data):
        raise ArchiveIntegrityError(
            f"S3 did not confirm the archived object {key}",
            hint="the server accepted the put but does not return the same object",
        )
    if stored.retention_mode != COMPLIANCE:
        raise ArchiveIntegrityError(
            f"{key} was stored without COMPLIANCE retention",
            hint="the archive bucket must have object lock enabled",
        )
    return stored


def get_bytes(client: Minio, bucket: str, key: str, version_id: str | None = None) -> bytes:
    try:
        response = client.get_object(bucket, key, version_id=version_id)
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"downloading {key}") from exc
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def put_new_version(
    client: Minio,
    bucket: str,
    key: str,
    data: bytes,
    *,
    replaces_version: str | None,
    content_type: str,
    retain_until: dt.datetime,
    metadata: dict[str, str] | None = None,
) -> StoredObject:
    """Write ``data`` as a new version of an archived ``key`` (a renewed B-LTA timestamp).

    The old version stays under its own retention: nothing is lost. Refused unless the current
    version is ``replaces_version``, so two renewals never race each other.
    """
    current = stat(client, bucket, key)
    if current is None or (replaces_version and current.version_id != replaces_version):
        raise ArchiveIntegrityError(
            f"{key}: the current version is not the one recorded ({replaces_version})",
            hint="run `motcua audit verify` before renewing",
        )
    digest = hashlib.sha256(data).hexdigest()
    try:
        result = client.put_object(
            bucket, key, io.BytesIO(data), len(data), content_type=content_type,
            metadata={SHA256_META: digest, **(metadata or {})},
            retention=Retention(COMPLIANCE, retain_until),
        )
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"archiving a new version of {key}") from exc
    stored = stat(client, bucket, key, version_id=result.version_id)
    if stored is None or stored.sha256 != digest or stored.retention_mode != COMPLIANCE:
        raise ArchiveIntegrityError(f"S3 did not confirm the new version of {key}")
    return stored
