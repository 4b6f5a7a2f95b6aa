"""Queries and writes on the schema. Functions take keyword arguments and never commit: the
caller owns the transaction, so "document archived + identifiers + reuse entry" is atomic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, col, delete, select

from motcua.agencies import AgencyPeriod
from motcua.dossier import DossierManifest
from motcua.extract import Identifier
from motcua.storage.models import (
    Document,
    DocumentIdentifier,
    Dossier,
    ReuseEntry,
    StepEvent,
    utcnow,
)


def get_dossier(session: Session, *, code: str) -> Dossier | None:
    return session.exec(select(Dossier).where(Dossier.code == code)).first()


def register_dossier(
    session: Session, *, manifest: DossierManifest, agency: AgencyPeriod, received_at: dt.datetime
) -> Dossier:
    """The dossier's row, created the first time only: a dossier is registered once, and its
    agency code stays the one in force when it was received."""
    existing = get_dossier(session, code=manifest.code)
    if existing is not None:
        return existing
    dossier = Dossier(
        code=manifest.code,
        agency_code=agency.code,
        agency_name=agency.name,
        applicant_id=manifest.applicant.id,
        applicant_name=manifest.applicant.name,
        procedure_code=manifest.procedure.code,
        procedure_name=manifest.procedure.name,
        channel=manifest.channel,
        received_at=received_at,
        due_at=manifest.due_at,
        registered_at=utcnow(),
    )
    session.add(dossier)
    session.flush()
    return dossier


def get_document(session: Session, *, dossier_id: int, source_sha256: str) -> Document | None:
    return session.exec(
        select(Document).where(
            Document.dossier_id == dossier_id, Document.source_sha256 == source_sha256
        )
    ).first()


def get_document_by_key(session: Session, *, archive_key: str) -> Document | None:
    return session.exec(select(Document).where(Document.archive_key == archive_key)).first()


def steps_of(session: Session, *, document_pk: int) -> list[StepEvent]:
    return list(
        session.exec(
            select(StepEvent)
            .where(StepEvent.document_id == document_pk)
            .order_by(col(StepEvent.started_at), col(StepEvent.id))
        )
    )


def replace_identifiers(
    session: Session, *, document_pk: int, identifiers: Iterable[Identifier]
) -> int:
    session.exec(delete(DocumentIdentifier).where(DocumentIdentifier.document_id == document_pk))
    rows = [
        DocumentIdentifier(document_id=document_pk, kind=i.kind, value=i.value)
        for i in sorted(set(identifiers))
    ]
    session.add_all(rows)
    return len(rows)


def upsert_reuse_entry(
    session: Session,
    *,
    subject_id: str,
    doc_type: str,
    document_pk: int,
    archive_key: str,
    valid_from: dt.datetime,
) -> ReuseEntry:
    entry = session.exec(select(ReuseEntry).where(ReuseEntry.document_id == document_pk)).first()
    if entry is None:
        entry = ReuseEntry(
            subject_id=subject_id,
            doc_type=doc_type,
            document_id=document_pk,
            archive_key=archive_key,
            valid_from=valid_from,
            created_at=utcnow(),
        )
        session.add(entry)
    else:
        entry.subject_id, entry.doc_type, entry.archive_key = subject_id, doc_type, archive_key
    session.flush()
    return entry
