"""Handoff and status rows: a dossier's life after intake (services/routing.py decides what is
allowed; this module only reads and writes).

Two officers acting on one dossier at the same moment are decided by the database, as intake
rounds are: a handoff takes the next ``seq`` of its dossier (unique), a receipt and a status
change are conditional UPDATEs that say whether they won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from motcua.storage.models import Document, Dossier, Handoff, StatusChange, StepEvent


def handoffs(session: Session, *, dossier_pk: int) -> list[Handoff]:
    return list(session.exec(select(Handoff).where(Handoff.dossier_id == dossier_pk)
                             .order_by(col(Handoff.seq))))


def add_handoff(session: Session, *, dossier_pk: int, seq: int, from_unit: str, to_unit: str,
                mode: str, step: int | None, sent_at: dt.datetime, sent_by: str,
                due_at: dt.datetime | None, note: str | None = None,
                received_at: dt.datetime | None = None, received_by: str | None = None) -> Handoff:
    """Insert handoff number ``seq``; a second one with the same number fails on flush
    (IntegrityError): someone else sent the dossier first."""
    row = Handoff(dossier_id=dossier_pk, seq=seq, from_unit=from_unit, to_unit=to_unit, mode=mode,
                  step=step, sent_at=sent_at, sent_by=sent_by, due_at=due_at, note=note,
                  received_at=received_at, received_by=received_by)
    session.add(row)
    session.flush()
    return row


def mark_received(session: Session, *, handoff_pk: int, at: dt.datetime, by: str) -> bool:
    """Record the receipt, unless someone recorded it first (False)."""
    result = session.execute(update(Handoff).where(
        col(Handoff.id) == handoff_pk, col(Handoff.received_at).is_(None))
        .values(received_at=at, received_by=by))
    return result.rowcount == 1


def change_status(session: Session, *, dossier_pk: int, from_status: str, to_status: str,
                  at: dt.datetime, unit: str | None, officer: str | None,
                  reason: str | None = None, **columns: object) -> bool:
    """Move the dossier from ``from_status`` to ``to_status`` (and set ``columns``: resolved_at,
    returned_at, due_at), recording the change; False when its status was no longer
    ``from_status`` (someone else changed it first), and then nothing is written."""
    result = session.execute(update(Dossier).where(
        col(Dossier.id) == dossier_pk, col(Dossier.status) == from_status)
        .values(status=to_status, **columns))
    if result.rowcount != 1:
        return False
    session.add(StatusChange(dossier_id=dossier_pk, from_status=from_status, to_status=to_status,
                             unit=unit, officer=officer, reason=reason, at=at))
    session.flush()
    return True


def status_changes(session: Session, *, dossier_pk: int) -> list[StatusChange]:
    return list(session.exec(select(StatusChange).where(StatusChange.dossier_id == dossier_pk)
                             .order_by(col(StatusChange.at), col(StatusChange.id))))


def set_due(session: Session, *, dossier_pk: int, due_at: dt.datetime) -> None:
    session.execute(update(Dossier).where(col(Dossier.id) == dossier_pk).values(due_at=due_at))


def documents_of(session: Session, *, dossier_pk: int) -> list[Document]:
    return list(session.exec(select(Document).where(Document.dossier_id == dossier_pk)
                             .order_by(col(Document.intake_round), col(Document.id))))


def step_events_of(session: Session, *, dossier_pk: int) -> list[StepEvent]:
    return list(session.exec(select(StepEvent).where(StepEvent.dossier_id == dossier_pk)
                             .order_by(col(StepEvent.started_at), col(StepEvent.id))))


def last_handoffs_to(session: Session, *, unit: str, open_statuses: Iterable[str]
                     ) -> list[tuple[Dossier, Handoff]]:
    """Dossiers whose latest handoff went to ``unit`` (received or not), still on their way."""
    latest = (select(Handoff.dossier_id, func.max(Handoff.seq).label("seq"))
              .group_by(col(Handoff.dossier_id)).subquery())
    stmt = (select(Dossier, Handoff)
            .join(latest, col(latest.c.dossier_id) == col(Dossier.id))
            .join(Handoff, (col(Handoff.dossier_id) == col(Dossier.id))
                  & (col(Handoff.seq) == latest.c.seq))
            .where(col(Handoff.to_unit) == unit, col(Dossier.status).in_(list(open_statuses)))
            .order_by(col(Handoff.sent_at)))
    return [(d, h) for d, h in session.exec(stmt)]


def never_handed(session: Session, *, open_statuses: Iterable[str]) -> list[Dossier]:
    """Dossiers the desk received and has not handed to anyone yet."""
    stmt = (select(Dossier).where(~select(Handoff.id).where(Handoff.dossier_id == Dossier.id).exists(),
                                  col(Dossier.status).in_(list(open_statuses)))
            .order_by(col(Dossier.received_at)))
    return list(session.exec(stmt))
