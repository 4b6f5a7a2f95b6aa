"""What the intake watcher remembers, and the rounds it opens: exactly once, by the database.

- :func:`record_drops` notes every object version seen in the intake bucket; ``(key, etag)`` is
  unique, so seeing the same file twice, from two watchers or after a restart, records it once.
- :func:`open_round` gives a dossier's unassigned files to a new round, numbered after the
  dossier's last one; ``(dossier_code, number)`` is unique, so of two watchers opening the same
  round one fails at commit and does nothing. A dossier has at most one open round at a time.
- :func:`claim_round` / :func:`claim_next_round` move a round from ``created`` to ``running``
  with one conditional UPDATE: whoever's update changes the row runs it, anyone else finds it
  taken. No lock, no timing: that is what makes two deliveries of one round give one run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from motcua.storage.models import IntakeDrop, IntakeRound
from motcua.times import utcnow

OPEN_STATES = ("created", "running")


@dataclass(frozen=True)
class SeenObject:
    key: str
    etag: str
    modified_at: dt.datetime
    size: int
    dossier_code: str

    @property
    def version(self) -> tuple[str, str, dt.datetime]:
        return (self.key, self.etag, self.modified_at)


def record_drops(session: Session, *, objects: Iterable[SeenObject]) -> int:
    """Note the object versions not seen before; how many were new. Two watchers inserting the
    same version at once: the loser's commit fails on the unique key (the caller retries the
    poll, which then finds it known)."""
    objects = list(objects)
    if not objects:
        return 0
    known = set(session.exec(
        select(IntakeDrop.key, IntakeDrop.etag, IntakeDrop.modified_at).where(
            col(IntakeDrop.dossier_code).in_({o.dossier_code for o in objects}))).all())
    now = utcnow()
    fresh = [IntakeDrop(key=o.key, etag=o.etag, modified_at=o.modified_at, size=o.size,
                        dossier_code=o.dossier_code, seen_at=now)
             for o in objects if o.version not in known]
    session.add_all(fresh)
    session.flush()
    return len(fresh)


@dataclass(frozen=True)
class Waiting:
    """A dossier's files seen but not yet given to a round."""

    dossier_code: str
    keys: tuple[str, ...]
    last_seen_at: dt.datetime


def waiting_files(session: Session, *, present: Iterable[tuple[str, str, dt.datetime]]
                  ) -> list[Waiting]:
    """Per dossier, the unassigned files that are still in the bucket (``present``: the
    ``(key, etag, modified_at)`` of this listing), for dossiers that have no open round."""
    present = set(present)
    rows = session.exec(select(IntakeDrop).where(col(IntakeDrop.round_pk).is_(None))).all()
    busy = set(session.exec(select(IntakeRound.dossier_code).where(
        col(IntakeRound.state).in_(OPEN_STATES))).all())
    by_code: dict[str, list[IntakeDrop]] = {}
    for row in rows:
        if (row.key, row.etag, row.modified_at) in present and row.dossier_code not in busy:
            by_code.setdefault(row.dossier_code, []).append(row)
    return [Waiting(code, tuple(sorted(r.key for r in drops)), max(r.seen_at for r in drops))
            for code, drops in sorted(by_code.items())]


def open_round(session: Session, *, dossier_code: str, keys: Sequence[str], created_by: str,
               started_by: str | None = None) -> IntakeRound | None:
    """A new round holding the dossier's unassigned files among ``keys``; None if the dossier
    already has an open round or nothing is left to give. With ``started_by`` the round is
    created already running (a run that opens its own round, ``motcua digitize`` inline)."""
    if session.exec(select(IntakeRound.id).where(
            IntakeRound.dossier_code == dossier_code,
            col(IntakeRound.state).in_(OPEN_STATES))).first() is not None:
        return None
    drops = session.exec(select(IntakeDrop).where(
        IntakeDrop.dossier_code == dossier_code, col(IntakeDrop.round_pk).is_(None),
        col(IntakeDrop.key).in_(list(keys)))).all()
    if not drops:
        return None
    last = session.exec(select(func.max(IntakeRound.number)).where(
        IntakeRound.dossier_code == dossier_code)).one()
    now = utcnow()
    round_ = IntakeRound(dossier_code=dossier_code, number=(last or 0) + 1, created_by=created_by,
                         created_at=now, state="running" if started_by else "created",
                         worker=started_by, started_at=now if started_by else None,
                         heartbeat_at=now if started_by else None)
    session.add(round_)
    session.flush()
    # Conditional, never a plain assignment: SQLite runs the SELECTs above outside the write
    # transaction, so another watcher may have given these files to its own round meanwhile
    # (seen: round 1 left with no files, round 2 with all of them). Whoever takes fewer rows
    # than it read lost the race and rolls back.
    taken = session.exec(update(IntakeDrop).where(
        col(IntakeDrop.id).in_([d.id for d in drops]), col(IntakeDrop.round_pk).is_(None)).values(
        round_pk=round_.id).execution_options(synchronize_session=False)).rowcount
    if taken != len(drops):
        raise RoundContended(dossier_code)
    return round_


class RoundContended(IntegrityError):
    """Another round took some of the files between reading and writing: roll back (callers
    already treat an :class:`~sqlalchemy.exc.IntegrityError` here as "another watcher won")."""

    def __init__(self, dossier_code: str) -> None:
        super().__init__(f"open a round of {dossier_code}", None,
                         Exception("its files were given to another round meanwhile"))


def unrung_rounds(session: Session) -> list[IntakeRound]:
    """Rounds created but never handed to a worker (a watcher stopped in between)."""
    return list(session.exec(select(IntakeRound).where(
        IntakeRound.state == "created", col(IntakeRound.rung_at).is_(None)).order_by(
        col(IntakeRound.id))))


def mark_rung(session: Session, *, round_pk: int) -> None:
    session.exec(update(IntakeRound).where(IntakeRound.id == round_pk).values(rung_at=utcnow()))


def claim_round(session: Session, *, round_pk: int, worker: str) -> bool:
    """Move one round from ``created`` to ``running``; True only for the caller whose UPDATE
    changed the row."""
    result = session.exec(update(IntakeRound).where(
        IntakeRound.id == round_pk, IntakeRound.state == "created").values(
        state="running", worker=worker[:128], started_at=utcnow(), heartbeat_at=utcnow()))
    return result.rowcount == 1


def beat_round(session: Session, *, round_pk: int, worker: str) -> bool:
    """A sign of life from the run of a round; False if the round is no longer this worker's
    (it was handed on as silent: the run should stop as soon as it can)."""
    result = session.exec(update(IntakeRound).where(
        IntakeRound.id == round_pk, IntakeRound.state == "running",
        IntakeRound.worker == worker[:128]).values(heartbeat_at=utcnow()))
    return result.rowcount == 1


def ring_again(session: Session, *, rung_before: dt.datetime) -> list[IntakeRound]:
    """Rounds rung before ``rung_before`` and still not taken (the delivery went to a worker
    that could not take it, or was lost with it): marked not rung, so the watcher rings them
    again. An extra delivery is harmless: it claims the oldest waiting round, or nothing."""
    stale = session.exec(select(IntakeRound).where(
        IntakeRound.state == "created", col(IntakeRound.rung_at).is_not(None),
        col(IntakeRound.rung_at) < rung_before).order_by(col(IntakeRound.id))).all()
    if stale:
        session.exec(update(IntakeRound).where(
            col(IntakeRound.id).in_([r.id for r in stale]), IntakeRound.state == "created",
            col(IntakeRound.rung_at) < rung_before).values(rung_at=None))
    return list(stale)


def reclaim_silent_rounds(session: Session, *, silent_since: dt.datetime
                          ) -> list[tuple[IntakeRound, str | None, dt.datetime]]:
    """Running rounds with no sign of life since ``silent_since`` (their worker died, or its
    machine did), put back to ``created`` and not yet rung, so the watcher hands them on; each
    with the worker that had it and its last sign of life. Each row moves by a conditional
    update: of two watchers, one takes it back."""
    last_sign = func.coalesce(IntakeRound.heartbeat_at, IntakeRound.started_at,
                              IntakeRound.created_at)
    silent = session.exec(select(IntakeRound).where(
        IntakeRound.state == "running", last_sign < silent_since).order_by(col(IntakeRound.id))).all()
    taken = []
    for round_ in silent:
        worker, seen = round_.worker, round_.heartbeat_at or round_.started_at or round_.created_at
        result = session.exec(update(IntakeRound).where(
            IntakeRound.id == round_.id, IntakeRound.state == "running", last_sign < silent_since
        ).values(state="created", rung_at=None, worker=None, started_at=None, heartbeat_at=None))
        if result.rowcount == 1:
            taken.append((round_.id, worker, seen))
    session.flush()
    return [(session.get(IntakeRound, pk, populate_existing=True), worker, seen)
            for pk, worker, seen in taken]


def claim_next_round(session: Session, *, worker: str) -> IntakeRound | None:
    """The oldest ``created`` round, claimed (see :func:`claim_round`); None if none is left."""
    while True:
        candidate = session.exec(select(IntakeRound.id).where(
            IntakeRound.state == "created").order_by(col(IntakeRound.id))).first()
        if candidate is None:
            return None
        if claim_round(session, round_pk=candidate, worker=worker):
            return session.get(IntakeRound, candidate)


def set_round_flow_run(session: Session, *, round_pk: int, flow_run_id: str) -> None:
    session.exec(update(IntakeRound).where(IntakeRound.id == round_pk).values(
        flow_run_id=flow_run_id))


def finish_round(session: Session, *, round_pk: int, state: str, outcome: str | None = None,
                 error: str | None = None, worker: str | None = None) -> bool:
    """End the round; with ``worker``, only if that worker still holds it (False otherwise: it
    was handed to another worker, whose run decides)."""
    stmt = update(IntakeRound).where(IntakeRound.id == round_pk)
    if worker is not None:
        stmt = stmt.where(IntakeRound.worker == worker)
    result = session.exec(stmt.values(state=state, outcome=outcome,
                                      error=(error or None) and error[:2000], finished_at=utcnow()))
    return result.rowcount == 1


def round_keys(session: Session, *, round_pk: int) -> list[str]:
    return sorted(session.exec(select(IntakeDrop.key).where(IntakeDrop.round_pk == round_pk)).all())


def get_round(session: Session, *, round_pk: int) -> IntakeRound | None:
    return session.get(IntakeRound, round_pk)


def round_holding(session: Session, *, dossier_code: str, key: str, etag: str | None = None
                  ) -> IntakeRound | None:
    """The round a file (this version, when ``etag`` is given) was given to, if any."""
    stmt = select(IntakeRound).join(IntakeDrop, col(IntakeDrop.round_pk) == col(IntakeRound.id)).where(
        IntakeDrop.dossier_code == dossier_code, IntakeDrop.key == key)
    if etag is not None:
        stmt = stmt.where(IntakeDrop.etag == etag)
    return session.exec(stmt.order_by(col(IntakeRound.id).desc())).first()


def rounds_of(session: Session, *, dossier_code: str) -> list[IntakeRound]:
    return list(session.exec(select(IntakeRound).where(
        IntakeRound.dossier_code == dossier_code).order_by(col(IntakeRound.number))))


def rounds_of_codes(session: Session, *, codes: list[str]) -> dict[str, list[IntakeRound]]:
    """:func:`rounds_of` for many dossiers in one query (every code a key, maybe empty)."""
    found: dict[str, list[IntakeRound]] = {code: [] for code in codes}
    for row in session.exec(select(IntakeRound).where(
            col(IntakeRound.dossier_code).in_(codes)).order_by(col(IntakeRound.number))):
        found[row.dossier_code].append(row)
    return found
