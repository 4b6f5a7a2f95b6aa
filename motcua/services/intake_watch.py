"""Watching the intake bucket: which dossiers are complete, and the rounds that run them.

A folder ``intake/{dossier_code}/`` is complete when its ``dossier.json`` arrives, or when no new
object has come for ``MOTCUA_INTAKE_QUIET_SECONDS`` (a scanner that drops files without a
manifest). Each complete folder's new files become one *round* (storage/repository/rounds.py),
which exactly one run processes: the database decides, never timing. What was seen is kept in
the database, not in memory, so a watcher can be killed at any moment, two can run at once, and
a second machine sees the same.

An object that is not inside a dossier folder (dropped at the top of the bucket, or in a folder
whose name is no dossier code) cannot be processed: it is quarantined with reason ``misplaced``
(its bytes kept, never dropped) and removed from intake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from motcua.errors import DossierError, MotcuaError
from motcua.manifest import validate_code
from motcua.outcomes import DossierOutcome
from motcua.settings import Settings
from motcua.storage import archive, intake, repository
from motcua.storage.db import migrate, open_session
from motcua.storage.quarantine import QuarantineReason, document_key, quarantine_file
from motcua.storage.s3 import make_client
from motcua.text import escape_name
from motcua.times import utcnow


@dataclass(frozen=True)
class RoundRef:
    """A round as the rest of motcua sees it (no database row escapes this module)."""

    pk: int
    dossier_code: str
    number: int
    state: str
    worker: str | None = None
    flow_run_id: str | None = None
    error: str | None = None
    outcome: str | None = None  # DossierOutcome JSON, once done

    @classmethod
    def of(cls, row) -> RoundRef:
        return cls(pk=row.id, dossier_code=row.dossier_code, number=row.number, state=row.state,
                   worker=row.worker, flow_run_id=row.flow_run_id, error=row.error,
                   outcome=row.outcome)


@dataclass(frozen=True)
class Opened:
    round: RoundRef
    files: int
    why: str  # "manifest" | "quiet"


@dataclass(frozen=True)
class PollResult:
    listed: int
    new: int
    opened: tuple[Opened, ...]
    waiting: tuple[tuple[str, int], ...]  # (dossier, files) still waiting for completion
    misplaced: tuple[str, ...]  # quarantine keys of objects outside any dossier folder


def _dossier_of(key: str) -> str | None:
    folder, slash, rest = key.partition("/")
    if not slash or not rest:
        return None
    try:
        return folder if validate_code(folder) == folder else None
    except ValueError:
        return None


def poll(settings: Settings, *, watcher: str, now: dt.datetime | None = None) -> PollResult:
    """One look at the intake bucket: note new objects, open a round for every dossier that is
    complete. Safe to run in several processes at once (see the module docstring)."""
    migrate(settings.db_url)
    now = now or utcnow()
    client = make_client(settings, "pipeline")
    listed = intake.list_all(client, settings.intake_bucket)
    seen, misplaced = [], []
    for obj in listed:
        code = _dossier_of(obj.key)
        if code is None:
            misplaced.append(obj)
        else:
            seen.append(repository.SeenObject(key=obj.key, etag=obj.etag, modified_at=obj.modified_at,
                                              size=obj.size, dossier_code=code))
    set_aside = tuple(_set_aside(settings, client, obj) for obj in misplaced)
    with open_session(settings.db_url) as session:
        try:
            new = repository.record_drops(session, objects=seen)
            session.commit()
        except IntegrityError:  # another watcher noted them a moment ago: they are known
            session.rollback()
            new = 0
        waiting = repository.waiting_files(session, present=[o.version for o in seen])
    opened, still = [], []
    quiet = dt.timedelta(seconds=settings.intake_quiet_seconds)
    for w in waiting:
        has_manifest = f"{w.dossier_code}/{intake.MANIFEST}" in w.keys
        if not has_manifest and now - w.last_seen_at < quiet:
            still.append((w.dossier_code, len(w.keys)))
            continue
        with open_session(settings.db_url) as session:
            try:
                row = repository.open_round(session, dossier_code=w.dossier_code, keys=w.keys,
                                            created_by=watcher)
                session.commit()
            except IntegrityError:  # another watcher opened it first: it is theirs
                session.rollback()
                continue
            if row is not None:
                opened.append(Opened(RoundRef.of(row), len(w.keys),
                                     "manifest" if has_manifest else "quiet"))
    return PollResult(listed=len(listed), new=new, opened=tuple(opened), waiting=tuple(still),
                      misplaced=set_aside)


def _set_aside(settings: Settings, client, obj: intake.ListedObject) -> str:
    """Quarantine an object that is in no dossier folder, then take it out of intake."""
    digest = hashlib.sha256(obj.key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    key = document_key("_misplaced", digest, obj.key.rsplit("/", 1)[-1])
    data = archive.get_bytes(client, settings.intake_bucket, obj.key)
    reason = QuarantineReason(
        dossier="", source=obj.key, name=escape_name(obj.key), sha256=hashlib.sha256(data).hexdigest(),
        step="watch", code="misplaced",
        message=f"{escape_name(obj.key)} is not inside a folder named after a dossier code",
        hint="drop files as intake/{dossier_code}/{file}, e.g. 000.00.20.H13-261122-0001/scan.pdf",
        at=utcnow().isoformat(timespec="seconds"))
    quarantine_file(client, settings.quarantine_bucket, key=key, data=data, reason=reason)
    intake.remove(client, settings.intake_bucket, [obj.key])
    return key


def tags_for(settings: Settings, code: str) -> list[str]:
    """Prefect tags for a dossier's run: its agency code and procedure (from its manifest)."""
    from motcua.agencies import agency_on

    client = make_client(settings, "pipeline")
    read = intake.read_manifest(client, settings.intake_bucket, code)
    manifest = read.manifest
    received = manifest.received_at or utcnow()
    tags = [f"agency:{agency_on(settings.agency, received).code}"]
    if manifest.procedure.code:
        tags.append(f"procedure:{manifest.procedure.code}")
    return tags


def write_heartbeat(path: str, *, watcher: str, result: PollResult, opened: int) -> None:
    """What the watcher did last, rewritten after every poll (atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps({"watcher": watcher, "polled_at": utcnow().isoformat(),
                               "listed": result.listed, "waiting": len(result.waiting),
                               "opened_total": opened}), encoding="utf-8")
    os.replace(tmp, target)


def unrung(settings: Settings) -> list[RoundRef]:
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        return [RoundRef.of(r) for r in repository.unrung_rounds(session)]


def mark_rung(settings: Settings, round_pk: int) -> None:
    with open_session(settings.db_url) as session:
        repository.mark_rung(session, round_pk=round_pk)
        session.commit()


def open_own_round(settings: Settings, code: str, *, worker: str) -> RoundRef:
    """For a run started by hand (``run_dossier``, a deployment run from the UI): note the
    dossier's files and open a round for them, already taken by this run. Refused while another
    round of the dossier is open, or when nothing new is in its folder."""
    migrate(settings.db_url)
    client = make_client(settings, "pipeline")
    listed = intake.list_dossier_versions(client, settings.intake_bucket, code)
    seen = [repository.SeenObject(key=o.key, etag=o.etag, modified_at=o.modified_at, size=o.size,
                                  dossier_code=code) for o in listed]
    with open_session(settings.db_url) as session:
        try:
            repository.record_drops(session, objects=seen)
            row = repository.open_round(session, dossier_code=code, keys=[o.key for o in listed],
                                        created_by=worker, started_by=worker)
            session.commit()
        except IntegrityError:
            session.rollback()
            row = None
        if row is not None:
            return RoundRef.of(row)
        busy = [r for r in repository.rounds_of(session, dossier_code=code)
                if r.state in ("created", "running")]
    if busy:
        raise DossierError(
            f"dossier {code} is already being processed (round {busy[0].number}, "
            f"{busy[0].state}{' on ' + busy[0].worker if busy[0].worker else ''})",
            hint="wait for that run to finish; new files are taken by the next round",
            code="dossier_busy")
    raise DossierError(f"intake/{code}/ holds no files that were not processed already",
                       hint="upload the scans first", code="empty_dossier")


def claim_next(settings: Settings, *, worker: str) -> RoundRef | None:
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        row = repository.claim_next_round(session, worker=worker)
        session.commit()
        return RoundRef.of(row) if row else None


def round_files(settings: Settings, round_pk: int) -> list[str]:
    with open_session(settings.db_url) as session:
        return repository.round_keys(session, round_pk=round_pk)


def note_flow_run(settings: Settings, round_pk: int, flow_run_id: str) -> None:
    with open_session(settings.db_url) as session:
        repository.set_round_flow_run(session, round_pk=round_pk, flow_run_id=flow_run_id)
        session.commit()


def close(settings: Settings, round_pk: int, outcome: DossierOutcome, *,
          worker: str | None = None) -> bool:
    """The run's outcome; False (nothing written) when ``worker`` no longer holds the round."""
    with open_session(settings.db_url) as session:
        done = repository.finish_round(session, round_pk=round_pk, state="done",
                                       outcome=outcome.to_json_text(), worker=worker)
        session.commit()
        return done


def fail(settings: Settings, round_pk: int, error: BaseException, *,
         worker: str | None = None) -> bool:
    """The run failed: say what failed and what the operator should do (unless ``worker`` no
    longer holds the round: then the run it was handed to decides, and False)."""
    if isinstance(error, MotcuaError):
        text = f"{error.code}: {error.message}" + (f" (hint: {error.hint})" if error.hint else "")
    else:
        text = (f"{type(error).__name__}: {error} (a bug: the files stay in intake; see the run's "
                "logs in the Prefect UI, fix, then drop the files again or run `motcua digitize`)")
    with open_session(settings.db_url) as session:
        failed = repository.finish_round(session, round_pk=round_pk, state="failed", error=text,
                                         worker=worker)
        session.commit()
        return failed


def find_round(settings: Settings, code: str, key: str, etag: str,
               since: dt.datetime) -> RoundRef | None:
    """The round that took this upload of ``key`` (opened at or after ``since``), if any yet."""
    with open_session(settings.db_url) as session:
        row = repository.round_holding(session, dossier_code=code, key=key, etag=etag)
        if row is None or row.created_at < since:
            return None
        return RoundRef.of(row)


def get(settings: Settings, round_pk: int) -> RoundRef:
    with open_session(settings.db_url) as session:
        row = repository.get_round(session, round_pk=round_pk)
        if row is None:
            raise LookupError(f"no round {round_pk}")
        return RoundRef.of(row)


def wait_until_done(settings: Settings, code: str, key: str, etag: str, *, since: dt.datetime,
                    timeout: float, say: Callable[[str], None] = lambda _: None,
                    poll_seconds: float = 0.25) -> RoundRef:
    """Follow a submitted file until its round is done (or failed): what ``motcua digitize``
    does after uploading. :class:`DossierError` ``not_picked_up`` when no watcher took it."""
    migrate(settings.db_url)
    deadline = time.monotonic() + timeout
    found = None
    while found is None:
        found = find_round(settings, code, key, etag, since)
        if found is None:
            if time.monotonic() > deadline:
                raise DossierError(
                    f"no run took intake/{code}/ within {timeout:.0f} s",
                    hint="is the intake watcher running? `motcua status` shows it; `motcua up` "
                    "starts it", code="not_picked_up")
            time.sleep(poll_seconds)
    say(f"dossier {code}: round {found.number} taken by {found.worker or 'a worker'}")
    while found.state in ("created", "running"):
        if time.monotonic() > deadline:
            raise DossierError(f"round {found.number} of {code} is still {found.state} after "
                               f"{timeout:.0f} s", hint="follow it in the Prefect UI",
                               code="still_running")
        time.sleep(poll_seconds)
        found = get(settings, found.pk)
    return found
