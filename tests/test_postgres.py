"""The same code on PostgreSQL: migrations, the schema check, and a dossier through the flow."""

from __future__ import annotations

import datetime as dt
import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import Session, select

from motcua.flows.launch import digitize_files
from motcua.infra.state import prefect_api_url
from motcua.samples import render
from motcua.samples.documents import application_form
from motcua.settings import Settings
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, ReuseEntry, StepEvent, metadata


def test_migrations_match_the_models_on_postgres(postgres_url):
    migrate(postgres_url)
    migrate(postgres_url)
    with make_engine(postgres_url).connect() as connection:
        assert connection.dialect.name == "postgresql"
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_a_dossier_through_the_flow_on_postgres(stack_settings, postgres_url, tmp_path):
    # The server trusts local connections, so any password works: it is here to show that a
    # password in the URL never reaches the Prefect UI, where flow parameters are visible.
    url = postgres_url.replace("motcua@", "motcua:pw-must-not-leak@")
    settings = Settings(data_dir=stack_settings.data_dir, database_url=url)
    page = render.render_page(application_form("Võ Thanh Sơn", "094200004321", "Cần Thơ", "7",
                                                dt.date(2026, 11, 22)), dpi=200)
    form = render.save_png(page, tmp_path / "don.png")
    code = f"PG-{dt.datetime.now(dt.UTC):%H%M%S}"
    outcome = digitize_files(settings, code, [form], applicant="094200004321")
    (doc,) = outcome.documents
    assert doc.status == "archived", doc
    with Session(make_engine(postgres_url)) as session:
        row = session.exec(select(Document).where(Document.document_id == doc.document_id)).one()
        assert row.archive_key == doc.archive_key and row.signed_at.tzinfo is not None
        events = session.exec(select(StepEvent).where(StepEvent.document_pk == row.id)).all()
        assert {e.step for e in events if e.status == "completed"} == {
            "receive", "scan", "ocr", "assemble", "sign", "archive", "index"}
        assert session.exec(select(ReuseEntry).where(ReuseEntry.subject_id == "094200004321")).one()
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(settings)}):
        with get_client(sync_client=True) as client:
            parameters = client.read_flow_run(outcome.flow_run_id).parameters
    assert "pw-must-not-leak" not in json.dumps(parameters)
    # …and nothing of it went to the SQLite database of the same stack
    migrate(stack_settings.db_url)
    with Session(make_engine(stack_settings.db_url)) as session:
        assert session.exec(select(Document).where(Document.document_id == doc.document_id)).first() is None
