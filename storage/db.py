"""Database engine and schema migrations.

The engine is made by :func:`make_engine` from the settings' URL, never at import time.
:func:`migrate` runs Alembic's upgrade to ``head`` programmatically, so ``motcua up`` and the
flows bring any database (a new SQLite file or an existing PostgreSQL) to the current schema.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the CLI read while a flow writes, and survives a crash mid-transaction.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@cache
def make_engine(url: str) -> Engine:
    """One engine (connection pool) per URL per process."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_session(url: str) -> Session:
    """A session on the engine for ``url`` whose rows stay readable after commit (no expiry:
    a step that wrote a row returns it as it is, without reading it back)."""
    return Session(make_engine(url), expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_MIGRATED: set[str] = set()
_MIGRATE_LOCK = threading.Lock()


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (idempotent), once per process.

    Serialised: Alembic's migration context is module-global, so two threads (tasks of one
    flow) must not run it at once.
    """
    with _MIGRATE_LOCK:
        if url in _MIGRATED:
            return
        engine = make_engine(url)
        with engine.begin() as connection:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        _MIGRATED.add(url)
