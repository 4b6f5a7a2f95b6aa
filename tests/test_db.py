"""The schema: Alembic migrations are the only path, and they match the models."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from motcua.agencies import agency_on
from motcua.manifest import DossierManifest
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, StepEvent, metadata
from motcua.times import utcnow


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    migrate(url)  # idempotent
    with make_engine(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
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
