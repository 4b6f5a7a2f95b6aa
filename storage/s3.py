"""S3 clients, made here and only here, and the checks an archive bucket must pass.

- :func:`make_client` is the one factory for :class:`minio.Minio` clients. Nothing builds a client
  at import time; callers make one where they need it (never pass clients as task arguments).
  With ``settings.s3_endpoint`` set (production) it uses the endpoint and the one key pair from
  settings, whatever identity is asked for: on a production server the scopes of that key are
  the server administrator's business. Without it (the default) it uses the embedded stack that
  ``motcua up`` started: the endpoint from ``stack.json`` and the identity's keys from
  ``credentials.json``.
- :func:`ensure_buckets` creates the four buckets idempotently (the archive with object lock,
  COMPLIANCE, default retention from settings).
- :func:`check_object_lock` proves on the server in use that a locked version cannot be deleted
  (DESIGN §2). Some S3 servers accept the configuration and then do not enforce it, so the
  only trustworthy answer is to try.

Library errors (``minio.error.S3Error``, urllib3 connection errors) are translated into
:mod:`motcua.errors` here.
"""

from __future__ import annotations

import io
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import COMPLIANCE, Retention
from pydantic import BaseModel, ConfigDict, ValidationError

from motcua.errors import ConfigurationError, StackNotRunning, StorageError, TransientError
from motcua.settings import Settings
from motcua.storage.credentials import Identity, S3Credentials, load_credentials

STACK_FILE = "stack.json"
SELFCHECK_PREFIX = "_selfcheck/"
_RUN_UP = "run `motcua up` (or set MOTCUA_S3_ENDPOINT and keys for an external S3 server)"


class EmbeddedS3(BaseModel):
    """The ``s3`` section of ``stack.json``: where the embedded S3 API answers."""

    model_config = ConfigDict(frozen=True)

    endpoint: str  # host:port, as minio wants it
    region: str
    secure: bool = False


class ObjectLockCheck(BaseModel):
    """The outcome of :func:`check_object_lock`, kept in ``stack.json`` and shown by ``status``."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    bucket: str
    key: str  # the probe, under _selfcheck/
    version_id: str | None = None
    mode: str | None = None
    retain_until: datetime | None = None
    delete_refused_with: str | None = None  # the S3 error code of the refused delete
    checked_at: datetime
    detail: str

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise ConfigurationError(
                f"object lock is NOT enforced on bucket {self.bucket!r}: {self.detail}",
                hint="refusing to archive: use an S3 server that enforces COMPLIANCE retention "
                "(SeaweedFS >= 4.48, MinIO, AWS) on a bucket created with object lock",
            )


def make_client(settings: Settings, identity: Identity) -> Minio:
    """A client acting as ``identity`` (see :mod:`motcua.storage.credentials` for what each may do)."""
    if settings.s3_endpoint is not None:
        if settings.s3_access_key is None or settings.s3_secret_key is None:
            raise ConfigurationError(
                "MOTCUA_S3_ENDPOINT is set but its keys are not",
                hint="set MOTCUA_S3_ACCESS_KEY and MOTCUA_S3_SECRET_KEY",
            )
        creds = S3Credentials(
            access_key=settings.s3_access_key.get_secret_value(),
            secret_key=settings.s3_secret_key,
        )
        return client_for(
            settings.s3_endpoint, creds, region=settings.s3_region, secure=settings.s3_secure
        )
    embedded = read_embedded_s3(settings.data_dir)
    stored = load_credentials(settings)
    if embedded is None or stored is None:
        raise StackNotRunning(
            f"the embedded S3 server is not running (no endpoint in "
            f"{settings.data_dir / STACK_FILE})",
            hint=_RUN_UP,
        )
    return client_for(
        embedded.endpoint, stored[identity], region=embedded.region, secure=embedded.secure
    )


def client_for(
    endpoint: str,
    creds: S3Credentials,
    *,
    region: str,
    secure: bool,
    http_client: urllib3.PoolManager | None = None,
) -> Minio:
    """The only place a :class:`Minio` is constructed.

    ``region`` is always given: without it minio asks the server for the bucket's location
    first, a call that an identity allowed only to write (``intake``) is refused.
    """
    return Minio(
        endpoint,
        access_key=creds.access_key,
        secret_key=creds.secret_key.get_secret_value(),
        region=region,
        secure=secure,
        http_client=http_client,
    )


def read_embedded_s3(data_dir: Path) -> EmbeddedS3 | None:
    """The embedded S3 endpoint recorded by ``motcua up``, or None if it is not running."""
    path = data_dir / STACK_FILE
    try:
        section = json.loads(path.read_text(encoding="utf-8")).get("s3")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}", hint=_RUN_UP) from exc
    if section is None:
        return None
    try:
        return EmbeddedS3.model_validate(section)
    except ValidationError as exc:
        raise ConfigurationError(f"{path} has a malformed s3 section", hint=_RUN_UP) from exc


def bucket_names(settings: Settings) -> tuple[str, str, str, str]:
    return (
        settings.intake_bucket,
        settings.archive_bucket,
        settings.quarantine_bucket,
        settings.reports_bucket,
    )


def ensure_buckets(client: Minio, settings: Settings) -> list[str]:
    """Create the missing buckets; set the archive's default retention. Returns those created.

    Object lock can only be switched on when a bucket is created, so an existing archive bucket
    without it is an error to fix by hand, never something to paper over.
    """
    created = []
    archive = settings.archive_bucket
    try:
        for name in bucket_names(settings):
            if not client.bucket_exists(name):
                client.make_bucket(name, location=settings.s3_region, object_lock=name == archive)
                created.append(name)
        try:
            current = client.get_object_lock_config(archive)
        except S3Error as exc:
            raise ConfigurationError(
                f"bucket {archive!r} exists without object lock ({exc.code})",
                hint="object lock can only be enabled when a bucket is created: create the "
                "archive bucket again with object lock, or point MOTCUA_ARCHIVE_BUCKET elsewhere",
            ) from exc
        wanted = ObjectLockConfig(COMPLIANCE, settings.archive_retention_days, DAYS)
        if current != wanted:
            client.set_object_lock_config(archive, wanted)
    except S3Error as exc:
        raise ConfigurationError(
            f"cannot set up the buckets: {exc.code} ({exc.message})",
            hint="the identity used needs bucket administration rights",
        ) from exc
    except (MinioException, urllib3.exceptions.HTTPError) as exc:
        raise StackNotRunning(
            f"S3 server unreachable while creating buckets: {exc}", hint=_RUN_UP
        ) from exc
    return created


def check_object_lock(client: Minio, bucket: str) -> ObjectLockCheck:
    """Put a probe under COMPLIANCE retention for 1 day, then try to delete that very version.

    Returns the outcome as data (``ok`` False when the version could be deleted or was not
    locked); :meth:`ObjectLockCheck.raise_if_failed` turns a failure into the
    :class:`ConfigurationError` that stops ``motcua up``. Raises only when the check itself could
    not be made (S3 error, server unreachable). The probe stays (that is the point) and its lock
    expires one day later; probes live under ``_selfcheck/``.
    """
    now = datetime.now(UTC)
    key = f"{SELFCHECK_PREFIX}{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}.txt"
    body = f"motcua object-lock self-check {now.isoformat()}\n".encode()
    until = (now + timedelta(days=1)).replace(microsecond=0)
    check = ObjectLockCheck(ok=False, bucket=bucket, key=key, checked_at=now, detail="not run")

    def done(ok: bool, detail: str, **found: object) -> ObjectLockCheck:
        return check.model_copy(
            update={"ok": ok, "detail": detail, "checked_at": datetime.now(UTC), **found}
        )

    try:
        try:
            put = client.put_object(
                bucket, key, io.BytesIO(body), len(body),
                content_type="text/plain", retention=Retention(COMPLIANCE, until),
            )
        except S3Error as exc:
            if exc.code == "AccessDenied":
                raise
            # e.g. InvalidRequest: the bucket was created without object lock
            return done(False, f"a put with COMPLIANCE retention was refused: {exc.code}")
        if not put.version_id:
            return done(False, "the probe got no version id: the bucket is not versioned")
        check = check.model_copy(update={"version_id": put.version_id})
        retention = client.get_object_retention(bucket, key, version_id=put.version_id)
        if retention is None or retention.mode != COMPLIANCE:
            return done(False, f"the probe's retention reads back as {retention!r}")
        check = check.model_copy(
            update={"mode": retention.mode, "retain_until": retention.retain_until_date}
        )
        try:
            client.remove_object(bucket, key, version_id=put.version_id)
        except S3Error as exc:
            refused_with = exc.code
        else:
            return done(False, f"deleting the locked version {put.version_id} of {key} succeeded")
        client.stat_object(bucket, key, version_id=put.version_id)  # and it is still there
    except S3Error as exc:
        raise ConfigurationError(
            f"object-lock self-check on {bucket!r} failed: {exc.code} ({exc.message})",
            hint="the identity used needs write and retention rights on the archive bucket",
        ) from exc
    except (MinioException, urllib3.exceptions.HTTPError) as exc:
        raise StackNotRunning(
            f"S3 server unreachable during the self-check: {exc}", hint=_RUN_UP
        ) from exc
    return done(
        True, "deleting the locked probe version was refused; it is still readable",
        delete_refused_with=refused_with,
    )


def s3_error(exc: Exception, what: str) -> Exception:
    """minio's errors as motcua's: those that may pass (server down, throttled) are retried;
    any other refusal is a :class:`StorageError` that fails the run with the S3 error code.

    Never let minio's ``S3Error`` itself escape: it refuses attribute assignment, which breaks
    the frameworks that annotate exceptions on their way up (seen: typer, when a file name S3
    refuses crashed ``motcua digitize`` with an AttributeError instead of the reason)."""
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return TransientError(f"S3 unreachable while {what}: {exc}", hint="is the S3 server up?")
    if isinstance(exc, S3Error):
        if exc.code in {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"}:
            return TransientError(f"S3 {exc.code} while {what}", hint="retrying")
        return StorageError(f"S3 refused {what}: {exc.code} ({exc.message})",
                            hint="check the S3 server's log and the identity's rights",
                            code="s3_" + (exc.code or "error").lower()[:28])
    return exc
