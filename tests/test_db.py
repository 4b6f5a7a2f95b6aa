"""The schema: Alembic migrations are the only path, and they match the models."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from motcua.agencies import agency_on
from motcua.manifest import DossierManifest
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, IntakeRound, StepEvent, in_models, metadata
from motcua.times import utcnow


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    migrate(url)  # idempotent
    with make_engine(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(
            connection, opts={"include_name": in_models}), metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_times_come_back_aware_utc_and_naive_times_are_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    migrate(url)
    received = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with Session(make_engine(url)) as session:
        dossier = repository.register_dossier(
            session, manifest=DossierManifest(code="X-1"),
            agency=agency_on("stnmt-soctrang", received), received_at=received)
        session.commit()
        session.refresh(dossier)
        assert dossier.received_at == received and dossier.received_at.tzinfo is dt.UTC
        assert dossier.agency_code == "H13"  # after the 2025 merger
        session.add(StepEvent(dossier_id=dossier.id, step="scan", status="running",
                              started_at=dt.datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


def test_one_document_per_dossier_and_content(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    migrate(url)
    with Session(make_engine(url)) as session:
        dossier = repository.register_dossier(
            session, manifest=DossierManifest(code="X-2"),
            agency=agency_on("stnmt-soctrang", dt.datetime(2022, 6, 1, tzinfo=dt.UTC)),
            received_at=dt.datetime(2022, 6, 1, tzinfo=dt.UTC))
        assert dossier.agency_code == "H51"  # Sóc Trăng before the merger
        assert repository.register_dossier(
            session, manifest=DossierManifest(code="X-2"), agency=agency_on("stnmt-soctrang", utcnow()),
            received_at=utcnow()).id == dossier.id  # registered once
        for name in ("a.png", "b.png"):
            session.add(Document(dossier_id=dossier.id, document_id=f"id-{name}", source_name=name,
                                 source_sha256="same", source_bytes=1, created_at=utcnow(),
                                 updated_at=utcnow()))
        with pytest.raises(IntegrityError):
            session.commit()


def test_two_watchers_opening_one_dossier_at_once_give_one_round_with_every_file(tmp_path):
    """The race seen in CI, made to happen on a real SQLite database: watcher B opens the
    dossier's round (and commits) after watcher A has read the files as unassigned but before A
    writes. A must lose (and roll back), not give B's files to a second, empty-handed round."""
    from sqlalchemy import event

    from motcua.storage.models import IntakeDrop, IntakeRound

    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrate(url)
    engine = make_engine(url)
    seen = [repository.SeenObject(key=f"D-1/{name}", etag="e", modified_at=utcnow(), size=1,
                                  dossier_code="D-1") for name in ("don.png", "dossier.json")]
    keys = [o.key for o in seen]
    with Session(engine) as session:
        repository.record_drops(session, objects=seen)
        session.commit()

    def b_goes_first(conn, cursor, statement, parameters, context, executemany):
        if "max(intakeround.number)" in statement.lower() and not fired:
            fired.append(True)
            with Session(make_engine(url)) as other:
                assert repository.open_round(other, dossier_code="D-1", keys=keys,
                                             created_by="B") is not None
                other.commit()

    fired: list[bool] = []
    event.listen(engine, "before_cursor_execute", b_goes_first)
    with Session(engine) as session, pytest.raises(IntegrityError):
        repository.open_round(session, dossier_code="D-1", keys=keys, created_by="A")
    assert fired
    with Session(make_engine(url)) as session:
        rounds = session.exec(select(IntakeRound)).all()
        assert [(r.number, r.created_by) for r in rounds] == [(1, "B")]
        drops = session.exec(select(IntakeDrop)).all()
        assert {d.round_pk for d in drops} == {rounds[0].id}


def test_a_silent_running_round_is_handed_back_once_and_its_old_run_is_told(tmp_path):
    """A round whose worker died (no heartbeat) goes back to `created`, unrung, exactly once;
    the dead run's late heartbeat is refused. A round that beats is left alone."""
    from motcua.storage.models import IntakeRound

    url = f"sqlite:///{tmp_path / 'l.db'}"
    migrate(url)
    engine = make_engine(url)
    pks = {}
    with Session(engine) as session:
        for code in ("D-DEAD", "D-ALIVE"):
            seen = [repository.SeenObject(key=f"{code}/don.png", etag="e", modified_at=utcnow(),
                                          size=1, dossier_code=code)]
            repository.record_drops(session, objects=seen)
            pks[code] = repository.open_round(session, dossier_code=code, keys=[seen[0].key],
                                              created_by="watcher").id
        session.commit()
        assert repository.claim_round(session, round_pk=pks["D-DEAD"], worker="host:1")
        assert repository.claim_round(session, round_pk=pks["D-ALIVE"], worker="host:2")
        session.commit()
    later = utcnow() + dt.timedelta(seconds=2)
    with Session(engine) as session:
        assert repository.reclaim_silent_rounds(session, silent_since=utcnow() - dt.timedelta(seconds=60)) == []
        assert repository.beat_round(session, round_pk=pks["D-ALIVE"], worker="host:2")
        session.commit()
    with Session(engine) as session:  # D-ALIVE beat just now; D-DEAD's last sign is its claim
        silent_since = later - dt.timedelta(seconds=1)
        session.exec(update(IntakeRound).where(IntakeRound.id == pks["D-ALIVE"]).values(
            heartbeat_at=later))  # a beat after the cut-off, as a live run's would be
        (back,) = repository.reclaim_silent_rounds(session, silent_since=silent_since)
        session.commit()
        round_, worker, seen = back
        assert (round_.id, round_.state, round_.rung_at, round_.worker) == (pks["D-DEAD"], "created", None, None)
        assert worker == "host:1" and seen < silent_since
        assert repository.reclaim_silent_rounds(session, silent_since=silent_since) == []
        assert not repository.beat_round(session, round_pk=pks["D-DEAD"], worker="host:1")
        assert [r.id for r in repository.unrung_rounds(session)] == [pks["D-DEAD"]]
        assert repository.get_round(session, round_pk=pks["D-ALIVE"]).state == "running"


def test_rounds_are_not_taken_for_dead_after_one_missed_heartbeat():
    from motcua.settings import Settings

    with pytest.raises(ValueError, match="at least 3 × MOTCUA_ROUND_HEARTBEAT_SECONDS"):
        Settings(round_heartbeat_seconds=30, round_stale_seconds=60)


def test_a_round_rung_long_ago_and_never_taken_is_rung_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    migrate(url)
    engine = make_engine(url)
    pks = {}
    with Session(engine) as session:
        for code in ("G-OLD", "G-NEW", "G-RUN"):
            seen = [repository.SeenObject(key=f"{code}/a.png", etag="e", modified_at=utcnow(), size=1,
                                          dossier_code=code)]
            repository.record_drops(session, objects=seen)
            pks[code] = repository.open_round(session, dossier_code=code, keys=[seen[0].key],
                                              created_by="w").id
            repository.mark_rung(session, round_pk=pks[code])
        assert repository.claim_round(session, round_pk=pks["G-RUN"], worker="host:1")
        session.commit()
    cut = utcnow() + dt.timedelta(seconds=1)
    with Session(engine) as session:
        session.exec(update(IntakeRound).where(IntakeRound.id == pks["G-NEW"]).values(
            rung_at=cut + dt.timedelta(seconds=1)))  # rung after the cut-off
        again = repository.ring_again(session, rung_before=cut)
        session.commit()
        assert [r.id for r in again] == [pks["G-OLD"]]
        assert [r.id for r in repository.unrung_rounds(session)] == [pks["G-OLD"]]
        assert repository.ring_again(session, rung_before=cut) == []
