"""Where a document's processing stops without an archived copy: quarantine (bad input, kept
with its reason, never dropped) or ``sign_pending`` (waiting for the TSA or the token). Both are
outcomes and return one."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from motcua.errors import DossierError
from motcua.outcomes import DocumentOutcome
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import open_session
from motcua.storage.quarantine import QuarantineReason, now_iso, quarantine_file
from motcua.storage.s3 import make_client
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="quarantine", task_run_name="quarantine/{doc.source_name}", cache_policy=NO_CACHE,
      retries=3, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def quarantine_step(settings: Settings, doc: DocumentRef, error: DossierError, step: str) -> DocumentOutcome:
    reason = QuarantineReason(
        dossier=doc.dossier.code, source=doc.source_key, sha256=doc.sha256, step=step,
        code=error.code, message=error.message, hint=error.hint, at=now_iso(),
    )
    with recorded_step(settings, doc, "quarantine") as rec:
        key = quarantine_file(make_client(settings, "pipeline"), settings.quarantine_bucket,
                              dossier=doc.dossier.code, name=doc.source_name, path=doc.local_path,
                              reason=reason)
        row = repository.mark_quarantined(rec.session, document_pk=doc.pk, code=error.code,
                                          reason=str(error), quarantine_key=key)
        steps = repository.steps_of(rec.session, document_pk=doc.pk)
    get_run_logger().warning("%s: %s (%s) → %s/%s", doc.source_name, error.code, error.message,
                             settings.quarantine_bucket, key)
    return DocumentOutcome.of(row, steps)


@task(name="sign-pending", task_run_name="sign-pending/{doc.source_name}", cache_policy=NO_CACHE)
def mark_sign_pending(settings: Settings, doc: DocumentRef, error: DossierError) -> DocumentOutcome:
    """The document is fine but cannot be signed at the configured level right now: it waits
    (its file stays in intake) and a later run processes it again and signs it."""
    with open_session(settings.db_url) as session:
        row = repository.mark_sign_pending(session, document_pk=doc.pk, code=error.code,
                                           reason=str(error))
        steps = repository.steps_of(session, document_pk=doc.pk)
        session.commit()
    get_run_logger().warning("%s: waiting to be signed: %s", doc.source_name, error)
    return DocumentOutcome.of(row, steps)
