"""What the digitization tasks hand each other, and how each step is recorded.

Tasks pass small frozen references (database ids, object keys, local paths in the run's work
folder), never file contents: Prefect keeps task inputs and results in memory and shows them in
the UI. Every step records a :class:`~motcua.storage.models.StepEvent` (UTC start and finish,
status, attempt, flow and task run ids, error) in its own short transaction, so the event survives
whatever the step does next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prefect.runtime import flow_run, task_run
from sqlmodel import Session

from motcua.settings import Settings
from motcua.storage.db import make_engine
from motcua.storage.models import StepEvent, utcnow


@dataclass(frozen=True)
class DossierRef:
    pk: int
    code: str
    agency_code: str
    agency_name: str
    received_at: dt.datetime
    applicant_id: str | None

    @property
    def year(self) -> int:
        from motcua.agencies import VN_TZ

        return self.received_at.astimezone(VN_TZ).year


@dataclass(frozen=True)
class DocumentRef:
    pk: int
    document_id: str
    dossier: DossierRef
    source_key: str  # intake object key
    source_name: str
    local_path: Path  # the downloaded submission
    sha256: str  # of the submission
    kind: str  # component | result
    doc_type: str | None  # as declared in dossier.json; None = classify from the text
    title: str | None
    work_dir: Path


@contextmanager
def recorded_step(settings: Settings, doc: DocumentRef, step: str) -> Iterator[StepEvent]:
    """Record ``step`` for ``doc``: a running event now, completed or failed when done."""
    engine = make_engine(settings.db_url)
    event = StepEvent(
        dossier_id=doc.dossier.pk,
        document_id=doc.pk,
        step=step,
        status="running",
        attempt=task_run.run_count or 1,
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        task_run_id=str(task_run.id) if task_run.id else None,
        started_at=utcnow(),
    )
    with Session(engine) as session:
        session.add(event)
        session.commit()
        session.refresh(event)
    try:
        yield event
    except BaseException as exc:
        _finish(engine, event.id, "failed", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _finish(engine, event.id, "completed", None)


def _finish(engine, event_id: int | None, status: str, error: str | None) -> None:
    with Session(engine) as session:
        row = session.get(StepEvent, event_id)
        if row is not None:
            row.status, row.error, row.finished_at = status, error, utcnow()
            session.add(row)
            session.commit()
