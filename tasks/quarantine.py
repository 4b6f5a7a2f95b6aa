"""Quarantine: a document that cannot be processed is kept with its reason, never dropped."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from motcua.errors import DossierError
from motcua.settings import Settings
from motcua.storage.db import make_engine
from motcua.storage.models import Document, utcnow
from motcua.storage.quarantine import QuarantineReason, now_iso, quarantine_file
from motcua.storage.s3 import make_client
from motcua.tasks.context import DocumentRef
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="quarantine", task_run_name="quarantine/{doc.source_name}", cache_policy=NO_CACHE,
      retries=3, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def quarantine_step(settings: Settings, doc: DocumentRef, error: DossierError, step: str) -> str:
    reason = QuarantineReason(
        dossier=doc.dossier.code, source=doc.source_key, sha256=doc.sha256, step=step,
        code=error.code, message=error.message, hint=error.hint, at=now_iso(),
    )
    key = quarantine_file(make_client(settings, "pipeline"), settings.quarantine_bucket,
                          dossier=doc.dossier.code, name=doc.source_name, path=doc.local_path,
                          reason=reason)
    with Session(make_engine(settings.db_url)) as session:
        row = session.get(Document, doc.pk)
        row.status = "quarantined"
        row.reason_code, row.reason = error.code, str(error)[:2000]
        row.quarantine_key = key
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
    get_run_logger().warning("%s: %s (%s) → %s/%s", doc.source_name, error.code, error.message,
                             settings.quarantine_bucket, key)
    return key


@task(name="sign-pending", task_run_name="sign-pending/{doc.source_name}", cache_policy=NO_CACHE)
def mark_sign_pending(settings: Settings, doc: DocumentRef, error: DossierError) -> None:
    """The document is fine but cannot be signed at the configured level right now: it waits
    (its file stays in intake) and a later run processes it again and signs it."""
    with Session(make_engine(settings.db_url)) as session:
        row = session.get(Document, doc.pk)
        row.status, row.reason_code, row.reason = "sign_pending", error.code, str(error)[:2000]
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
    get_run_logger().warning("%s: waiting to be signed: %s", doc.source_name, error)
