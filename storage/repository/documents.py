"""Document rows and what hangs off them: identifiers, reuse entries, submitted signatures,
renewals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from motcua.outcomes import SignatureVerdict
from motcua.storage.models import (
    Document,
    DocumentIdentifier,
    ReuseEntry,
    StepEvent,
    SubmittedSignature,
)
from motcua.times import utcnow


def get_document(session: Session, *, dossier_pk: int, source_sha256: str) -> Document | None:
    return session.exec(
        select(Document).where(
            Document.dossier_id == dossier_pk, Document.source_sha256 == source_sha256
        )
    ).first()


def get_document_by_key(session: Session, *, archive_key: str) -> Document | None:
    return session.exec(select(Document).where(Document.archive_key == archive_key)).first()


def archived_documents(session: Session, *, dossier_pk: int | None = None) -> list[Document]:
    """Archived documents, oldest first; of one dossier if ``dossier_pk`` is given."""
    stmt = select(Document).where(Document.status == "archived")
    if dossier_pk is not None:
        stmt = stmt.where(Document.dossier_id == dossier_pk)
    return list(session.exec(stmt.order_by(col(Document.id))))


def add_document(
    session: Session,
    *,
    dossier_pk: int,
    document_id: str,
    source_name: str,
    source_sha256: str,
    source_bytes: int,
    kind: str,
    doc_type: str,
    title: str | None,
    intake_round: int = 1,
) -> Document:
    """A new document row (flushed, so it has its key). Two runs adding the same file of a
    dossier at once: the second gets an ``IntegrityError`` at commit (the unique constraint on
    dossier + content decides) and should read the first one's row."""
    now = utcnow()
    if len(source_name) > 255:  # the column's size; the whole name is in the manifest
        source_name = source_name[:200] + "…" + source_name[-54:]
    row = Document(
        dossier_id=dossier_pk, document_id=document_id, source_name=source_name,
        source_sha256=source_sha256, source_bytes=source_bytes, kind=kind, doc_type=doc_type,
        title=title, intake_round=intake_round, created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ArchivedFacts:
    """What the archive step learned, recorded on the document row in one write."""

    media_type: str
    pages: int
    ocr_confidence: float | None
    flags: str
    signature_level: str
    signer: str
    signed_at: dt.datetime
    archive_key: str
    version_id: str | None
    sha256: str | None
    size_bytes: int
    retain_until: dt.datetime | None


def mark_archived(session: Session, *, document_pk: int, facts: ArchivedFacts) -> Document:
    row = _document(session, document_pk)
    row.status = "archived"
    row.media_type, row.pages, row.ocr_confidence = facts.media_type, facts.pages, facts.ocr_confidence
    row.flags = facts.flags[:255]
    row.signature_level, row.signer, row.signed_at = (
        facts.signature_level, facts.signer[:255], facts.signed_at)
    row.archive_key, row.archive_version_id = facts.archive_key, facts.version_id
    row.sha256, row.size_bytes, row.retain_until = facts.sha256, facts.size_bytes, facts.retain_until
    row.reason_code = row.reason = None
    return _touched(session, row)


def mark_quarantined(
    session: Session, *, document_pk: int, code: str, reason: str, quarantine_key: str
) -> Document:
    row = _document(session, document_pk)
    row.status, row.reason_code, row.reason = "quarantined", code, reason[:2000]
    row.quarantine_key = quarantine_key
    return _touched(session, row)


def mark_sign_pending(session: Session, *, document_pk: int, code: str, reason: str) -> Document:
    row = _document(session, document_pk)
    row.status, row.reason_code, row.reason = "sign_pending", code, reason[:2000]
    return _touched(session, row)


def mark_indexed(
    session: Session,
    *,
    document_pk: int,
    doc_type: str,
    identifiers: Iterable[tuple[str, str]],
    reuse_subject: str | None,
    reuse: ReuseFacts | None = None,
) -> tuple[Document, int]:
    """Record the document's type and identifiers (``(kind, value)`` pairs, replacing earlier
    ones), and, for an archived document of a known applicant, its reuse entry. Returns the row
    and the number of identifiers."""
    row = _document(session, document_pk)
    session.exec(delete(DocumentIdentifier).where(DocumentIdentifier.document_pk == document_pk))
    pairs = sorted(set(identifiers))
    session.add_all(DocumentIdentifier(document_pk=document_pk, kind=k, value=v) for k, v in pairs)
    row.doc_type = doc_type
    if reuse_subject and row.archive_key:
        _upsert_reuse_entry(session, row=row, subject_id=reuse_subject, facts=reuse or ReuseFacts())
    row = _touched(session, row)
    row.indexed_at = row.updated_at
    session.add(row)
    session.flush()
    return row, len(pairs)


def forget_index(session: Session, *, document_pk: int) -> None:
    """Undo :func:`mark_indexed` (identifiers gone, ``indexed_at`` empty): what a run that
    stopped between archive and index leaves, so the next run indexes the document again."""
    row = _document(session, document_pk)
    session.exec(delete(DocumentIdentifier).where(DocumentIdentifier.document_pk == document_pk))
    row.indexed_at = None
    session.add(row)
    session.flush()


def record_renewal(
    session: Session,
    *,
    document_pk: int,
    sha256: str | None,
    size_bytes: int,
    version_id: str | None,
    retain_until: dt.datetime | None,
    started_at: dt.datetime,
) -> Document:
    """A renewed B-LTA timestamp is the archived object's new version: the row follows it, and
    a ``renew`` step event says when."""
    row = _document(session, document_pk)
    row.sha256, row.size_bytes = sha256, size_bytes
    row.archive_version_id, row.retain_until = version_id, retain_until
    row = _touched(session, row)
    session.add(StepEvent(dossier_id=row.dossier_id, document_pk=row.id, step="renew",
                          status="completed", started_at=started_at, finished_at=utcnow()))
    session.flush()
    return row


def record_submitted_signatures(
    session: Session, *, document_pk: int, verdicts: Iterable[SignatureVerdict]
) -> int:
    """The arrival verdicts of a submitted PDF's signatures (replacing earlier ones)."""
    session.exec(delete(SubmittedSignature).where(SubmittedSignature.document_pk == document_pk))
    now = utcnow()
    rows = [SubmittedSignature(document_pk=document_pk, checked_at=now, position=v.position,
                               field_name=v.field_name[:128], signer=v.signer[:255], level=v.level,
                               verdict=v.verdict, intact=v.intact, valid=v.valid,
                               trusted=v.trusted, chain_problem=v.chain_problem,
                               signing_time=v.signing_time, timestamp_time=v.timestamp_time,
                               modification_level=v.modification_level)
            for v in verdicts]
    session.add_all(rows)
    session.flush()
    return len(rows)


def submitted_signatures(session: Session, *, document_pk: int) -> list[SignatureVerdict]:
    rows = session.exec(select(SubmittedSignature)
                        .where(SubmittedSignature.document_pk == document_pk)
                        .order_by(col(SubmittedSignature.position)))
    return [SignatureVerdict(position=r.position, field_name=r.field_name, signer=r.signer,
                             level=r.level, verdict=r.verdict, intact=r.intact, valid=r.valid,
                             trusted=r.trusted, chain_problem=r.chain_problem,
                             signing_time=r.signing_time, timestamp_time=r.timestamp_time,
                             modification_level=r.modification_level) for r in rows]


@dataclass(frozen=True)
class ReuseFacts:
    """What the index step read about a paper (motcua/core/validity.py)."""

    number: str | None = None
    issuer: str | None = None
    issued_on: dt.date | None = None
    valid_to: dt.datetime | None = None  # None: no end
    valid_to_stated: bool = False


def _upsert_reuse_entry(session: Session, *, row: Document, subject_id: str,
                        facts: ReuseFacts) -> ReuseEntry:
    entry = session.exec(select(ReuseEntry).where(ReuseEntry.document_pk == row.id)).first()
    if entry is None:
        entry = ReuseEntry(subject_id=subject_id, doc_type=row.doc_type, document_pk=row.id,
                           archive_key=row.archive_key, valid_from=row.signed_at or utcnow(),
                           created_at=utcnow())
    entry.subject_id, entry.doc_type, entry.archive_key = subject_id, row.doc_type, row.archive_key
    entry.number, entry.issuer, entry.issued_on = facts.number, facts.issuer, facts.issued_on
    entry.valid_to, entry.valid_to_stated = facts.valid_to, facts.valid_to_stated
    session.add(entry)
    return entry


def _document(session: Session, pk: int) -> Document:
    row = session.get(Document, pk)
    if row is None:
        raise LookupError(f"no document row {pk}")
    return row


def _touched(session: Session, row: Document) -> Document:
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


