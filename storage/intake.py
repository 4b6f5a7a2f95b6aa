"""The intake bucket: where intake staff drop scans, ``intake/{dossier_code}/...``.

A dossier folder is complete when its ``dossier.json`` arrives (DESIGN §2), so uploads put the
scans first and the manifest last. The pipeline lists and downloads with its own identity; intake
staff can only write.

Names are not trusted. What a desk PC or scanner drops may be called anything S3 accepts (a
newline, a right-to-left override, NFD); nothing here builds a local path or another key from
such a name (downloads go to a path the caller chooses), and every S3 error is translated into
motcua's own, so one odd file can never crash a run.

A ``dossier.json`` that is not JSON, has wrong types, unknown keys or another dossier's code is
not an exception: :func:`read_manifest` says what is wrong (the line, or the field) and gives a
manifest with only the folder's code, so the files are still digitized.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from minio import Minio
from minio.error import S3Error
from pydantic import ValidationError
from urllib3.exceptions import HTTPError

from motcua.errors import DossierError, TransientError
from motcua.manifest import DossierManifest
from motcua.storage.s3 import s3_error

MANIFEST = "dossier.json"
MAX_MANIFEST_BYTES = 1 << 20


@dataclass(frozen=True)
class IntakeObject:
    key: str
    name: str  # the key inside the dossier folder, exactly as dropped (may hold anything)
    size: int


@dataclass(frozen=True)
class ManifestRead:
    """The folder's manifest, or the code-only manifest and why the dropped one was refused."""

    manifest: DossierManifest
    problem: DossierError | None = None  # code ``bad_manifest``
    present: bool = False


@dataclass(frozen=True)
class Written:
    key: str
    etag: str


def upload_dossier(
    client: Minio, bucket: str, code: str, files: Sequence[tuple[str, Path]],
    manifest: DossierManifest,
) -> list[Written]:
    """Upload ``(key name, local file)`` pairs, then the manifest (which marks the folder
    complete); what was written, the manifest last. The key names must be safe
    (:func:`motcua.text.safe_key_name`)."""
    written = []
    try:
        for name, path in files:
            result = client.fput_object(bucket, f"{code}/{name}", str(path))
            written.append(Written(f"{code}/{name}", (result.etag or "").strip('"')))
        body = manifest.model_dump_json(indent=2, exclude_none=True).encode()
        result = client.put_object(bucket, f"{code}/{MANIFEST}", io.BytesIO(body), len(body),
                                   content_type="application/json")
        written.append(Written(f"{code}/{MANIFEST}", (result.etag or "").strip('"')))
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, "uploading to intake") from exc
    return written


def list_dossier(client: Minio, bucket: str, code: str) -> list[IntakeObject]:
    """The scans of one dossier folder (the manifest excluded), in key order."""
    try:
        objects = [
            IntakeObject(key=o.object_name, name=o.object_name.split("/", 1)[1], size=o.size or 0)
            for o in client.list_objects(bucket, prefix=f"{code}/", recursive=True)
        ]
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, "listing intake") from exc
    return sorted((o for o in objects if o.name != MANIFEST), key=lambda o: o.name)


@dataclass(frozen=True)
class ListedObject:
    key: str
    etag: str
    modified_at: dt.datetime
    size: int


def list_all(client: Minio, bucket: str) -> list[ListedObject]:
    """Every object in the intake bucket, with what tells one upload from another."""
    try:
        return [ListedObject(key=o.object_name, etag=(o.etag or "").strip('"'),
                             modified_at=(o.last_modified or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
                             size=o.size or 0)
                for o in client.list_objects(bucket, recursive=True) if not o.is_dir]
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, "listing intake") from exc


def list_dossier_versions(client: Minio, bucket: str, code: str) -> list[ListedObject]:
    """The objects of one dossier folder, the manifest included, as :func:`list_all` sees them."""
    try:
        return [ListedObject(key=o.object_name, etag=(o.etag or "").strip('"'),
                             modified_at=(o.last_modified or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
                             size=o.size or 0)
                for o in client.list_objects(bucket, prefix=f"{code}/", recursive=True)
                if not o.is_dir]
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, "listing intake") from exc


def read_manifest(client: Minio, bucket: str, code: str) -> ManifestRead:
    """The folder's ``dossier.json``; without one, a manifest with only the code."""
    key = f"{code}/{MANIFEST}"
    try:
        response = client.get_object(bucket, key)
    except S3Error as exc:
        if exc.code == "NoSuchKey":
            return ManifestRead(DossierManifest(code=code))
        raise s3_error(exc, f"reading {key}") from exc
    except HTTPError as exc:
        raise TransientError(f"S3 unreachable while reading the manifest: {exc}") from exc
    try:
        raw = response.read(MAX_MANIFEST_BYTES + 1)
    finally:
        response.close()
        response.release_conn()
    return ManifestRead(*parse_manifest(raw, code), present=True)


def parse_manifest(raw: bytes, code: str) -> tuple[DossierManifest, DossierError | None]:
    """The manifest in ``raw``, or the code-only one and a ``bad_manifest`` error naming the
    line (syntax) or the field (types, unknown keys) that is wrong."""
    fallback = DossierManifest(code=code)

    def bad(message: str, hint: str) -> tuple[DossierManifest, DossierError]:
        return fallback, DossierError(f"{MANIFEST}: {message}", hint=hint, code="bad_manifest")

    if len(raw) > MAX_MANIFEST_BYTES:
        return bad(f"over {MAX_MANIFEST_BYTES:,} bytes", "a manifest is a few kilobytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return bad(f"not UTF-8 (byte {exc.start})", "save the manifest as UTF-8")
    except json.JSONDecodeError as exc:
        return bad(f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
                   "fix the JSON at that line and drop the manifest again")
    if not isinstance(data, dict):
        return bad("the top level is not a JSON object", "see docs/intake.md for the fields")
    if data.get("code", code) != code:
        return bad(f"names dossier {data.get('code')!r}, not the folder's {code!r}",
                   "the folder name is the dossier code")
    try:
        return DossierManifest.model_validate({**data, "code": code}), None
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}"
                           for e in exc.errors())
        return bad(f"wrong field(s): {fields}", "see docs/intake.md for the fields and their types")


def download(client: Minio, bucket: str, key: str, dest: Path) -> Path:
    """Download ``key`` to ``dest``, a path the caller built (never from the key's name)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        client.fget_object(bucket, key, str(dest))
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, f"downloading {key!r}") from exc
    return dest


def remove_folder(client: Minio, bucket: str, code: str) -> None:
    """Remove the dossier's folder itself once it is empty. SeaweedFS keeps a real directory
    for every ``{code}/`` and removes an emptied one only minutes later, and not at all if it
    restarted meanwhile; every listing of intake walks them, so the watcher's poll had grown
    from ~2 ms to ~18 ms of SeaweedFS CPU with ~300 of them (measured). A folder that is not
    empty is not removed (SeaweedFS refuses; elsewhere ``{code}/`` is at most a marker)."""
    try:
        client.remove_object(bucket, f"{code}/")
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, "cleaning intake") from exc


def remove(client: Minio, bucket: str, keys: Iterable[str]) -> list[str]:
    """Remove processed objects from intake (DESIGN §2: only once archived or quarantined)."""
    removed = []
    try:
        for key in keys:
            client.remove_object(bucket, key)
            removed.append(key)
    except (S3Error, HTTPError) as exc:
        raise s3_error(exc, "cleaning intake") from exc
    return removed
