"""Step events: when each step of a document started and ended, and how."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from motcua.storage.models import (
    StepEvent,
)
from motcua.times import utcnow


def start_step(
    session: Session,
    *,
    dossier_pk: int,
    document_pk: int | None,
    step: str,
    attempt: int,
    flow_run_id: str | None,
    task_run_id: str | None,
    started_at: dt.datetime | None = None,
) -> StepEvent:
    """A ``running`` event (started now unless ``started_at`` says when), flushed so that it
    has its key."""
    event = StepEvent(
        dossier_id=dossier_pk, document_pk=document_pk, step=step, status="running",
        attempt=attempt, flow_run_id=flow_run_id, task_run_id=task_run_id,
        started_at=started_at or utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def finish_step(session: Session, *, event: StepEvent, status: str, error: str | None = None) -> StepEvent:
    event.status, event.error, event.finished_at = status, (error or None) and error[:2000], utcnow()
    session.add(event)
    session.flush()
    return event


def steps_of(session: Session, *, document_pk: int) -> list[StepEvent]:
    return list(
        session.exec(
            select(StepEvent)
            .where(StepEvent.document_pk == document_pk)
            .order_by(col(StepEvent.started_at), col(StepEvent.id))
        )
    )
