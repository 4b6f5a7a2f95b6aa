"""Where a document's processing stops without an archived copy: quarantine (bad input, kept
with its reason, never dropped) or ``sign_pending`` (waiting for the TSA or the token). Both are
outcomes and return one; a quarantine is logged as one WARNING line (code, message, hint), never
as a traceback. A refused ``dossier.json`` is quarantined the same way."""

from __future__ import annotations

from prefect import get_run_logger

from motcua.errors import DossierError
from motcua.outcomes import DocumentOutcome, ManifestOutcome
from motcua.settings import Settings
from motcua.storage import archive, intake, repository
from motcua.storage.db import open_session
from motcua.storage.quarantine import QuarantineReason, document_key, quarantine_file
from motcua.storage.s3 import make_client
from motcua.tasks.context import DocumentRef, DossierRef, recorded_step, run_ids
from motcua.tasks.policies import retried
from motcua.times import utcnow


def _reason(dossier: str, source: str, name: str, sha256: str | None, step: str,
            error: DossierError) -> QuarantineReason:
    return QuarantineReason(dossier=dossier, source=source, name=name, sha256=sha256, step=step,
                            code=error.code, message=error.message, hint=error.hint,
                            at=utcnow().isoformat(timespec="seconds"))


def quarantine_step(settings: Settings, doc: DocumentRef, error: DossierError, step: str) -> DocumentOutcome:
    reason = _reason(doc.dossier.code, doc.source_key, doc.source_name, doc.sha256, step, error)

    def attempt():
        with recorded_step(settings, doc, "quarantine") as rec:
            key = quarantine_file(make_client(settings, "pipeline"), settings.quarantine_bucket,
                                  key=document_key(doc.dossier.code, doc.document_id, doc.source_name),
                                  path=doc.local_path, reason=reason)
            row = repository.mark_quarantined(rec.session, document_pk=doc.pk, code=error.code,
                                              reason=str(error), quarantine_key=key)
            return key, row, repository.steps_of(rec.session, document_pk=doc.pk)

    key, row, steps = retried(attempt)
    get_run_logger().warning("%s: quarantined, %s: %s (hint: %s) → %s/%s", doc.source_name,
                             error.code, error.message, error.hint or "-",
                             settings.quarantine_bucket, key)
    return DocumentOutcome.of(row, steps)


def quarantine_manifest(settings: Settings, dossier: DossierRef, error: DossierError) -> ManifestOutcome:
    """Keep a refused ``dossier.json`` in quarantine with its reason (the line or field that
    is wrong); the dossier's files are digitized with what is known. Recorded as a ``manifest``
    step event of the dossier."""
    source = f"{dossier.code}/{intake.MANIFEST}"
    client = make_client(settings, "pipeline")
    data = retried(lambda: archive.get_bytes(client, settings.intake_bucket, source))
    key = retried(lambda: quarantine_file(
        client, settings.quarantine_bucket, key=source, data=data,
        reason=_reason(dossier.code, source, intake.MANIFEST, None, "manifest", error)))
    attempt, flow_id, task_id = run_ids()
    with open_session(settings.db_url) as session:
        event = repository.start_step(session, dossier_pk=dossier.pk, document_pk=None,
                                      step="manifest", attempt=attempt, flow_run_id=flow_id,
                                      task_run_id=task_id)
        repository.finish_step(session, event=event, status="rejected", error=str(error))
        session.commit()
    get_run_logger().warning("%s: quarantined, %s: %s (hint: %s) → %s/%s", source, error.code,
                             error.message, error.hint or "-", settings.quarantine_bucket, key)
    return ManifestOutcome(status="quarantined", reason_code=error.code, reason=error.message,
                           quarantine_key=key)


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
