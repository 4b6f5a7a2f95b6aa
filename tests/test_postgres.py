"""The same code on PostgreSQL: migrations, the schema check, a dossier through the flow, and the
embedded Prefect server itself on PostgreSQL (``MOTCUA_PREFECT_DATABASE_URL``)."""

from __future__ import annotations

import datetime as dt
import json
import stat
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from motcua.errors import ConfigurationError
from motcua.flows.launch import digitize_files
from motcua.infra import prefect_server
from motcua.infra.process import is_running
from motcua.infra.stack import down, up
from motcua.infra.state import prefect_api_url, read_state
from motcua.samples import render
from motcua.samples.documents import application_form
from motcua.settings import Settings
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, ReuseEntry, StepEvent, in_models, metadata


def _read_flow_run(api_url: str | None, flow_run_id: uuid.UUID) -> FlowRun:
    assert api_url
    with (temporary_settings(updates={PREFECT_API_URL: api_url}),
          get_client(sync_client=True) as client):
        return client.read_flow_run(flow_run_id)


def test_migrations_match_the_models_on_postgres(postgres_url):
    migrate(postgres_url)
    migrate(postgres_url)
    with make_engine(postgres_url).connect() as connection:
        assert connection.dialect.name == "postgresql"
        assert compare_metadata(MigrationContext.configure(
            connection, opts={"include_name": in_models}), metadata) == []


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
    parameters = _read_flow_run(prefect_api_url(settings), outcome.flow_run_id).parameters
    assert "pw-must-not-leak" not in json.dumps(parameters)
    # …and nothing of it went to the SQLite database of the same stack
    migrate(stack_settings.db_url)
    with Session(make_engine(stack_settings.db_url)) as session:
        assert session.exec(select(Document).where(Document.document_id == doc.document_id)).first() is None


def test_a_prefect_database_url_without_async_driver_is_refused_before_anything_starts(tmp_path):
    url = "postgresql+psycopg://prefect:secret@127.0.0.1/prefect"  # the records' driver
    settings = Settings(data_dir=tmp_path, service=False, prefect_database_url=url)
    with pytest.raises(ConfigurationError) as caught:
        up(settings)
    assert "postgresql+asyncpg" in str(caught.value) and "secret" not in str(caught.value)
    state = read_state(settings)
    assert state is None or state.services == {}
    ours = [pid for pid in Path("/proc").iterdir() if pid.name.isdigit()
            and str(tmp_path) in _cmdline(pid)]
    assert ours == []  # no server of this data directory was started (SeaweedFS comes first)


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _process_group(leader: int) -> list[int]:
    """The pids of a process group (the Prefect server and the uvicorn it may start)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == leader:
                pids.append(int(entry.name))
    return pids


def _flow_run_row(conninfo: str, flow_run_id: uuid.UUID) -> tuple | None:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT name, state_type FROM flow_run WHERE id = %s",
                            (flow_run_id,)).fetchone()


def test_the_prefect_server_runs_on_postgres(postgres_url, tmp_path_factory, tmp_path):
    """A stack of its own whose Prefect server keeps its data in a PostgreSQL database of its
    own: a dossier's run is readable from that server and lies in that database, no SQLite file
    is made, the URL (password included) reaches the server through its environment only, and a
    changed URL restarts the server instead of reusing it."""
    fixture_db = make_url(postgres_url)
    name = f"prefect_{uuid.uuid4().hex[:8]}"
    admin = fixture_db.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # Local connections are trusted, so any password works: it is here to be looked for.
    secret = f"pw-{uuid.uuid4().hex}"
    prefect_db = fixture_db.set(drivername="postgresql+asyncpg", database=name, password=secret)
    prefect_conninfo = prefect_db.set(drivername="postgresql").render_as_string(hide_password=False)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("motcua-prefect-pg"),
        prefect_database_url=prefect_db.render_as_string(hide_password=False),
        database_url=postgres_url,  # the records in PostgreSQL too, as in production
        service=False,
    )
    try:
        info = up(settings)
        pf = info.services["prefect"]
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"{info.prefect_api_url}/health", timeout=10) as resp:
            assert resp.status == 200

        # the URL reaches the server through its environment, never argv, files or logs
        group = _process_group(pf.pid)
        assert pf.pid in group
        for pid in group:
            assert secret not in _cmdline(Path(f"/proc/{pid}"))
        environ = Path(f"/proc/{pf.pid}/environ").read_bytes().decode().split("\0")
        url = prefect_db.render_as_string(hide_password=False)
        assert f"PREFECT_SERVER_DATABASE_CONNECTION_URL={url}" in environ
        record = settings.data_dir / "prefect" / prefect_server.DATABASE_ENV
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
        for path in (record, settings.data_dir / "stack.json", pf.log_file):
            assert secret not in path.read_text(errors="replace"), path
        assert f"/{name}" in record.read_text()

        form_page = application_form("Lý Thị Hoa", "094200007777", "Sóc Trăng", "3",
                                     dt.date(2026, 11, 22))
        page = render.render_page(form_page, dpi=200)
        form = render.save_png(page, tmp_path / "don.png")
        code = f"PGP-{dt.datetime.now(dt.UTC):%H%M%S}"
        outcome = digitize_files(settings, code, [form], applicant="094200007777")
        assert [d.status for d in outcome.documents] == ["archived"], outcome.documents
        run = _read_flow_run(info.prefect_api_url, outcome.flow_run_id)
        assert run.state is not None and run.state.is_completed()
        assert code in run.name

        # Prefect's tables are in that PostgreSQL database, and there is no SQLite file
        assert _flow_run_row(prefect_conninfo, outcome.flow_run_id) == (run.name, "COMPLETED")
        assert sorted(p.name for p in (settings.data_dir / "prefect").rglob("*.db*")) == []

        # same settings: reused; another URL (here another password): a new server, same data
        assert "prefect" in up(settings).reused
        other = prefect_db.set(password=f"{secret}-2").render_as_string(hide_password=False)
        changed = settings.model_copy(update={"prefect_database_url": SecretStr(other)})
        again = up(changed)
        assert "prefect" in again.started and "seaweedfs" in again.reused
        assert again.services["prefect"].argv == pf.argv  # the change is seen in database.env
        assert _read_flow_run(again.prefect_api_url, outcome.flow_run_id).name == run.name
    finally:
        started = read_state(settings)
        down(settings)
    assert started is not None
    left = [f"{r.name} (pid {r.pid})" for r in started.services.values() if is_running(r)]
    assert not left, f"still running after down: {left}"
    assert not is_running(pf)
