"""One document through scan → ocr → assemble → sign → archive → index: the per-document
composition that the `digitize-dossier` flow runs for each document, concurrently, on threads
of its own run (not as a Prefect task run of its own: flows/digitize.py).

What can happen to a document (each is an outcome, :class:`~motcua.outcomes.DocumentOutcome`):

- ``archived``: signed, in the archive under object lock, indexed;
- ``quarantined``: bad input (or a page Tesseract cannot read): the file and a JSON reason are in
  the quarantine bucket, the other documents go on;
- ``sign_pending``: the TSA/token is down after retries: nothing is signed at a lower level, a
  later run signs it.

Only a fault of the submitted file (found by the scan or OCR step) quarantines it. Outside
services that stay down after their retries (S3, the database), an archive that does not hold
what it should, and a PDF motcua made that its own signer refuses fail the run loudly: that is not
the document's fault, so it is neither quarantined nor marked done, and its file stays in intake.

A document already archived is reported as it is (indexed first if an earlier run stopped
between archive and index): running a dossier again writes nothing new.
"""

from __future__ import annotations

import shutil

from prefect import get_run_logger

from motcua.core.assemble import document_text
from motcua.errors import SignPending
from motcua.outcomes import DocumentOutcome
from motcua.settings import Settings
from motcua.signing.factory import SigningPlan
from motcua.storage import archive, repository
from motcua.storage.db import open_session
from motcua.storage.models import Document
from motcua.storage.s3 import make_client
from motcua.tasks.archive import archive_step
from motcua.tasks.assemble import assemble_step
from motcua.tasks.context import DocumentRef, Rejected
from motcua.tasks.index import index_step
from motcua.tasks.ocr import ocr_step
from motcua.tasks.quarantine import mark_sign_pending, quarantine_step
from motcua.tasks.scan import scan_step
from motcua.tasks.sign import sign_step
from motcua.tasks.signatures import check_signatures_step


def digitize_document(settings: Settings, doc: DocumentRef, row: Document,
                      plan: SigningPlan) -> DocumentOutcome:
    try:
        if row.status == "archived":
            return _already_archived(settings, doc, row)
        scanned = scan_step(settings, doc)
        if isinstance(scanned, Rejected):
            return quarantine_step(settings, doc, scanned.error, scanned.step)
        if scanned.digital is not None and scanned.digital.signed:
            check_signatures_step(settings, doc)  # recorded facts, never a reason to refuse
        texts = ocr_step(settings, doc, scanned) if scanned.pages else []  # born-digital: none
        if isinstance(texts, Rejected):
            return quarantine_step(settings, doc, texts.error, texts.step)
        pdf = assemble_step(settings, doc, scanned, texts)
        try:
            signed = sign_step(settings, doc, pdf, plan)
        except SignPending as exc:
            return mark_sign_pending(settings, doc, exc)
        # A BadInput from here on is motcua's own fault (a PDF it made that its signer refuses):
        # it is raised, never quarantined.
        archive_step(settings, doc, scanned, texts, signed)
        return index_step(settings, doc, document_text(scanned, texts))
    finally:
        shutil.rmtree(doc.work_dir, ignore_errors=True)
        doc.local_path.unlink(missing_ok=True)


def _already_archived(settings: Settings, doc: DocumentRef, row: Document) -> DocumentOutcome:
    get_run_logger().info("%s: already archived at %s", doc.source_name, row.archive_key)
    if row.indexed_at is None:  # an earlier run stopped between archive and index
        client = make_client(settings, "pipeline")
        text = archive.get_bytes(client, settings.archive_bucket,
                                 row.archive_key.removesuffix(".pdf") + ".txt").decode()
        return index_step(settings, doc, text, already_archived=True)
    with open_session(settings.db_url) as session:
        steps = repository.steps_of(session, document_pk=row.id)
    return DocumentOutcome.of(row, steps, already=True)
