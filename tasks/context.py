"""What the digitization steps hand each other, and how each step is recorded.

Steps are plain functions run in the dossier's flow run, a thread per document
(tasks/document.py): a Prefect task run costs the Prefect server ~30 ms of CPU, and one per step
per document made the server the bottleneck on 2 cores (0.47 s of server CPU for a 1-page
dossier, measured). Every step is still a step event of its own, with its attempt, in motcua's
database.

Steps pass small frozen references (database keys, object keys, local paths in the run's work
folder), never file contents.

Every step runs inside :func:`recorded_step`: **one** database session for the whole step. The
``running`` :class:`~motcua.storage.models.StepEvent` is committed first (so an operator sees the
step while it runs, and the event survives a crash); the step's own writes then go through the
same session and are committed together with the ``completed`` event, atomically. A step that
raises rolls its writes back and commits a ``failed`` event with the error (``rejected`` when the
submitted file is at fault, :class:`~motcua.errors.BadInput`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from prefect.runtime import flow_run, task_run
from sqlmodel import Session

from motcua.errors import BadInput
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import open_session
from motcua.storage.models import StepEvent
from motcua.times import vn_date


@dataclass(frozen=True)
class DossierRef:
    pk: int
    code: str
    agency_code: str
    agency_name: str
    received_at: dt.datetime
    applicant_id: str | None
    work_dir: Path  # this run's own folder: two runs of a round never share files
    intake_round: int = 1  # the round this run processes: > 1 means files added later

    @property
    def year(self) -> int:
        """The year of reception in Vietnam: the archive key's ``yyyy``."""
        return vn_date(self.received_at).year


@dataclass(frozen=True)
class DocumentRef:
    pk: int
    document_id: str  # the public id, used in archive keys
    dossier: DossierRef
    source_key: str  # intake object key
    source_name: str
    local_path: Path  # the downloaded submission
    sha256: str  # of the submission
    kind: str  # component | result
    doc_type: str | None  # as declared in dossier.json; None = classify from the text
    title: str | None
    work_dir: Path


@dataclass(frozen=True)
class Rejected:
    """A step's outcome when the submitted file is at fault (:class:`BadInput`): the file goes
    to quarantine with this reason. Returned, not raised, so the task ends normally and an
    operator sees one WARNING line, not a traceback (tracebacks are for bugs)."""

    error: BadInput
    step: str


@dataclass(frozen=True)
class StepRecord:
    """The step's session (for its own writes, committed with its completion) and its event."""

    session: Session
    event: StepEvent


attempt_number: ContextVar[int] = ContextVar("attempt_number", default=0)
"""The attempt of the step being run, set by :func:`motcua.tasks.policies.retried`; 0 = use the
Prefect task run's own count (1 outside a task run)."""


def run_ids() -> tuple[int, str | None, str | None]:
    """(attempt, flow run id, task run id) of the calling step, for a step event."""
    return (attempt_number.get() or task_run.run_count or 1,
            str(flow_run.id) if flow_run.id else None, str(task_run.id) if task_run.id else None)


@contextmanager
def recorded_step(settings: Settings, doc: DocumentRef, step: str) -> Iterator[StepRecord]:
    """Run ``step`` for ``doc`` in one session, recorded as a step event (see the module)."""
    attempt, flow_id, task_id = run_ids()
    with open_session(settings.db_url) as session:
        event = repository.start_step(
            session, dossier_pk=doc.dossier.pk, document_pk=doc.pk, step=step, attempt=attempt,
            flow_run_id=flow_id, task_run_id=task_id,
        )
        session.commit()
        try:
            yield StepRecord(session, event)
        except BaseException as exc:
            session.rollback()
            # "rejected": the file was refused (it will be quarantined); "failed": anything else
            status = "rejected" if isinstance(exc, BadInput) else "failed"
            repository.finish_step(session, event=event, status=status,
                                   error=f"{type(exc).__name__}: {exc}")
            session.commit()
            raise
        repository.finish_step(session, event=event, status="completed")
        session.commit()
