"""The intake bucket: where intake staff drop scans, ``intake/{dossier_code}/...``.

A dossier folder is complete when its ``dossier.json`` arrives (DESIGN §2), so uploads put the
scans first and the manifest last. The pipeline lists and downloads with its own identity; intake
staff can only write.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from minio import Minio
from minio.error import S3Error
from pydantic import ValidationError
from urllib3.exceptions import HTTPError

from motcua.errors import DossierError, TransientError
from motcua.manifest import DossierManifest

MANIFEST = "dossier.json"


@dataclass(frozen=True)
class IntakeObject:
    key: str
    name: str
    size: int


def upload_dossier(
    client: Minio, bucket: str, code: str, files: Iterable[Path], manifest: DossierManifest
) -> list[str]:
    """Upload scans, then the manifest (which marks the folder complete); return the keys."""
    keys = []
    try:
        for path in files:
            key = f"{code}/{path.name}"
            client.fput_object(bucket, key, str(path))
            keys.append(key)
        body = manifest.model_dump_json(indent=2, exclude_none=True).encode()
        client.put_object(bucket, f"{code}/{MANIFEST}", io.BytesIO(body), len(body),
                          content_type="application/json")
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while uploading to intake: {exc}") from exc
    return keys


def list_dossier(client: Minio, bucket: str, code: str) -> list[IntakeObject]:
    """The scans of one dossier folder (the manifest excluded), in name order."""
    try:
        objects = [
            IntakeObject(key=o.object_name, name=o.object_name.split("/", 1)[1], size=o.size or 0)
            for o in client.list_objects(bucket, prefix=f"{code}/", recursive=True)
        ]
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while listing intake: {exc}") from exc
    return sorted((o for o in objects if o.name != MANIFEST), key=lambda o: o.name)


def read_manifest(client: Minio, bucket: str, code: str) -> DossierManifest:
    """The folder's ``dossier.json``; a folder without one gets a manifest with only the code."""
    try:
        response = client.get_object(bucket, f"{code}/{MANIFEST}")
    except S3Error as exc:
        if exc.code == "NoSuchKey":
            return DossierManifest(code=code)
        raise
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while reading the manifest: {exc}") from exc
    try:
        data = json.loads(response.read())
    except json.JSONDecodeError as exc:
        raise DossierError(f"{code}/{MANIFEST} is not valid JSON: {exc}",
                           hint="fix the manifest and upload it again", code="bad_manifest") from exc
    finally:
        response.close()
        response.release_conn()
    if data.get("code", code) != code:
        raise DossierError(
            f"{code}/{MANIFEST} names dossier {data.get('code')!r}, not the folder's {code!r}",
            hint="the folder name is the dossier code", code="bad_manifest",
        )
    try:
        return DossierManifest.model_validate({**data, "code": code})
    except ValidationError as exc:
        raise DossierError(f"{code}/{MANIFEST} is not a valid manifest: {exc}",
                           hint="see docs/intake.md for the fields", code="bad_manifest") from exc


def download(client: Minio, bucket: str, key: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        client.fget_object(bucket, key, str(dest))
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while downloading {key}: {exc}") from exc
    return dest


def remove(client: Minio, bucket: str, keys: Iterable[str]) -> list[str]:
    """Remove processed objects from intake (DESIGN §2: only once archived or quarantined)."""
    removed = []
    try:
        for key in keys:
            client.remove_object(bucket, key)
            removed.append(key)
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while cleaning intake: {exc}") from exc
    return removed
