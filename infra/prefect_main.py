"""``python -m motcua.infra.prefect_main server start …``: Prefect's own command line, with every
transaction its server begins on SQLite (``begin_transaction``: the writes, and the few reads
that ask for one) begun ``IMMEDIATE``.

Why: Prefect 3.9.1's server begins most transactions ``DEFERRED`` on SQLite. One that reads
before it writes (``POST /task_runs/`` does) is refused at once with "database is locked" when
another connection of the server (the task-run recorder, the event persister) committed in
between: SQLite's ``SQLITE_BUSY_SNAPSHOT``, which ``busy_timeout`` never waits out. The API
answers 503 and Prefect's client retries after 2 s. Measured on the embedded stack
(2026-12-03): one ``process_round.delay()`` in four took 2.2–2.5 s instead of 0.05 s, and while
20 dossiers were dropped at once a worker slot stayed empty for up to 6 s waiting for its
delivery (Prefect issue #18934 is this message). Begun ``IMMEDIATE``, a transaction takes the
write lock first and waits for it under ``busy_timeout`` (Prefect sets 60 s), as the transactions
Prefect itself marks ``with_for_update`` already do. Reads outside a transaction are untouched.

PostgreSQL (``MOTCUA_PREFECT_DATABASE_URL``) is left exactly as Prefect runs it. The change
lives in this process: a server started with ``--workers`` above 1 (uvicorn's own processes)
would not have it; the stack starts one.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager


def immediate_sqlite_writes() -> None:
    from prefect.server.database.configurations import AioSqliteConfiguration

    begin = AioSqliteConfiguration.begin_transaction
    if getattr(begin, "motcua_immediate", False):
        return

    @asynccontextmanager
    async def begin_transaction(self, session, with_for_update: bool = False) -> AsyncGenerator:
        async with begin(self, session, with_for_update=True) as transaction:
            yield transaction

    begin_transaction.motcua_immediate = True  # type: ignore[attr-defined]
    AioSqliteConfiguration.begin_transaction = begin_transaction  # type: ignore[method-assign]


def main() -> None:
    immediate_sqlite_writes()
    from prefect.cli import app

    app()


if __name__ == "__main__":
    main()
