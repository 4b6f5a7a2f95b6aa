"""The `index` step as a Prefect task: identifiers and the reuse index.

The reuse entry keys the archived document by the applicant's id (CCCD or tax code) and its
document type, so the next dossier of the same applicant can take the paper from the archive
instead of asking for it again (the plan's 30% → 80% target).
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from motcua.extract import classify_document, extract_identifiers
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import make_engine
from motcua.storage.models import Document, utcnow
from motcua.tasks.context import DocumentRef, recorded_step


@dataclass(frozen=True)
class IndexResult:
    doc_type: str
    identifiers: int
    reuse_subject: str | None


@task(name="index", task_run_name="index/{doc.source_name}", cache_policy=NO_CACHE)
def index_step(settings: Settings, doc: DocumentRef, text: str) -> IndexResult:
    """Index ``text`` (the archived OCR text); marks the document indexed in the same
    transaction, so a run that stopped after archiving indexes it next time."""
    with recorded_step(settings, doc, "index"), Session(make_engine(settings.db_url)) as session:
        row = session.get(Document, doc.pk)
        doc_type = doc.doc_type or classify_document(text)
        identifiers = extract_identifiers(text)
        count = repository.replace_identifiers(session, document_pk=doc.pk, identifiers=identifiers)
        row.doc_type, row.updated_at = doc_type, utcnow()
        row.indexed_at = row.updated_at
        session.add(row)
        subject = doc.dossier.applicant_id
        if subject and row.archive_key:
            repository.upsert_reuse_entry(
                session, subject_id=subject, doc_type=doc_type, document_pk=doc.pk,
                archive_key=row.archive_key, valid_from=row.signed_at or utcnow(),
            )
        session.commit()
    get_run_logger().info("%s: type %s, %d identifier(s)%s", doc.source_name, doc_type, count,
                          f", reusable for {subject[:3]}…" if subject else "")
    return IndexResult(doc_type=doc_type, identifiers=count, reuse_subject=subject)
