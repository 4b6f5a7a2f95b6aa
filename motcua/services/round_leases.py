"""A running round's sign of life, and what happens to a round whose worker died.

A worker claims a round by moving it from ``created`` to ``running`` (exactly once, by the
database). If the worker process, or its machine, dies during the run, nothing else would ever
move that round again: its files would wait in intake for ever. So the run of a round says it is
alive every ``MOTCUA_ROUND_HEARTBEAT_SECONDS`` (:func:`keep_alive`, a thread doing one small
UPDATE), and the watcher, on every poll, puts back to ``created`` the running rounds silent for
``MOTCUA_ROUND_STALE_SECONDS`` (:func:`reclaim`) and hands them to the workers again, on any
machine; a round rung that long ago and never taken is rung again (:func:`ring_again`). The database, not a clock on one machine, decides who takes a round back.

Running a round again is safe: its files are still in intake (they leave only when the round
closes), a document already archived is not processed again (its identity is the dossier code
and the file's SHA-256), and one waiting to be signed is retried.

The time a round may stay silent is a trade: a run that cannot reach the database for that long
(frozen machine, database outage) is taken for dead and its round runs twice; its heartbeat
thread then sees the round is no longer its own and says so in the run's log.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session
from motcua.times import utcnow

from .intake_watch import RoundRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reclaimed:
    round: RoundRef  # back to ``created``, to be rung
    worker: str | None  # the worker that had it
    last_sign: dt.datetime  # its last sign of life


def reclaim(settings: Settings, *, now: dt.datetime | None = None) -> list[Reclaimed]:
    """Running rounds silent for ``round_stale_seconds``, put back to ``created`` (not rung)."""
    migrate(settings.db_url)
    silent_since = (now or utcnow()) - dt.timedelta(seconds=settings.round_stale_seconds)
    with open_session(settings.db_url) as session:
        rows = repository.reclaim_silent_rounds(session, silent_since=silent_since)
        session.commit()
        return [Reclaimed(RoundRef.of(r), worker, seen) for r, worker, seen in rows]


def ring_again(settings: Settings, *, now: dt.datetime | None = None) -> list[RoundRef]:
    """Rounds rung ``round_stale_seconds`` ago and still not taken, marked to be rung again
    (their delivery went to a worker that could not take it, or was lost with it)."""
    migrate(settings.db_url)
    rung_before = (now or utcnow()) - dt.timedelta(seconds=settings.round_stale_seconds)
    with open_session(settings.db_url) as session:
        rows = repository.ring_again(session, rung_before=rung_before)
        session.commit()
        return [RoundRef.of(r) for r in rows]


def beat(settings: Settings, round_pk: int, worker: str) -> bool:
    """One sign of life; False once the round is no longer ``worker``'s."""
    with open_session(settings.db_url) as session:
        mine = repository.beat_round(session, round_pk=round_pk, worker=worker)
        session.commit()
        return mine


@contextmanager
def keep_alive(settings: Settings, round_pk: int, worker: str,
               on_lost=lambda: None) -> Iterator[None]:
    """Beat for the round while the block runs. A beat that fails (the database away for a
    moment) is logged and tried again at the next one; ``on_lost`` is called once if the round
    was handed on meanwhile."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(settings.round_heartbeat_seconds):
            try:
                if not beat(settings, round_pk, worker):
                    on_lost()
                    return
            except Exception as exc:  # keep beating: the next one may get through
                log.warning("round %d: heartbeat failed: %s: %s", round_pk, type(exc).__name__, exc)

    thread = threading.Thread(target=run, name=f"round-{round_pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
