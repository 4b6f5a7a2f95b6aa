"""Reuse rows: the papers a subject already has in the archive, and each reuse of one."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from motcua.storage.models import Document, Dossier, ReuseEntry, ReuseEvent


def held_papers(session: Session, *, subject_id: str, doc_type: str | None = None
                ) -> list[tuple[ReuseEntry, Document, Dossier]]:
    """Every archived paper of ``subject_id`` (of ``doc_type``), newest issue first."""
    stmt = (select(ReuseEntry, Document, Dossier)
            .join(Document, col(Document.id) == col(ReuseEntry.document_pk))
            .join(Dossier, col(Dossier.id) == col(Document.dossier_id))
            .where(col(ReuseEntry.subject_id) == subject_id, col(Document.status) == "archived"))
    if doc_type is not None:
        stmt = stmt.where(col(ReuseEntry.doc_type) == doc_type)
    rows = list(session.exec(stmt))
    return sorted(rows, key=lambda r: (r[0].issued_on or dt.date.min, r[0].created_at), reverse=True)


def held_paper(session: Session, *, document_id: str) -> tuple[ReuseEntry | None, Document, Dossier] | None:
    """The document with public id ``document_id``, its reuse entry (None if it has none)."""
    found = session.exec(select(Document, Dossier).join(Dossier, col(Dossier.id) == col(Document.dossier_id))
                         .where(col(Document.document_id) == document_id)).first()
    if found is None:
        return None
    doc, dossier = found
    entry = session.exec(select(ReuseEntry).where(ReuseEntry.document_pk == doc.id)).first()
    return entry, doc, dossier


def add_reuse_event(session: Session, *, dossier_pk: int, document_pk: int, component: str,
                    source: str, officer: str | None, at: dt.datetime) -> ReuseEvent:
    """One reuse; the same paper for the same component of a dossier twice fails on flush
    (IntegrityError)."""
    event = ReuseEvent(dossier_id=dossier_pk, document_pk=document_pk, component=component,
                       source=source, officer=officer, at=at)
    session.add(event)
    session.flush()
    return event


def reuse_events(session: Session, *, dossier_pk: int) -> list[tuple[ReuseEvent, Document]]:
    return list(session.exec(select(ReuseEvent, Document)
                             .join(Document, col(Document.id) == col(ReuseEvent.document_pk))
                             .where(col(ReuseEvent.dossier_id) == dossier_pk).order_by(col(ReuseEvent.at))))
