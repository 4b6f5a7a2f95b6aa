"""Database sessions, transactions and statements per archived document, counted in one run.

Usage: python benchmarks/db_sessions.py [DOCUMENTS]   (default 3 one-page documents, 150 dpi)

Starts the embedded stack if needed (settings from ``MOTCUA_*`` as for the CLI), digitizes one
dossier of DOCUMENTS one-page documents in this process with SQLAlchemy event listeners counting,
and prints a JSON line. Counts are of work, not of time, so they are the same on any machine:
each step of a document should use one session (DESIGN §8, issue 11), and the counts say so.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from motcua.flows.launch import digitize_files
from motcua.infra import stack
from motcua.samples import render
from motcua.samples.documents import application_form
from motcua.settings import Settings
from motcua.storage.db import make_engine, migrate


def main() -> None:
    documents = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    settings = Settings()
    stack.up(settings, progress=lambda m: print(m, file=sys.stderr))
    migrate(settings.db_url)
    counts: collections.Counter[str] = collections.Counter()

    # Every Session made (sqlmodel's Session is SQLAlchemy's), every transaction begun.
    init = Session.__init__

    def counting_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts["sessions"] += 1
        init(self, *args, **kwargs)

    Session.__init__ = counting_init  # type: ignore[method-assign]
    event.listen(Session, "after_begin", lambda *a: counts.update(["transactions"]))

    @event.listens_for(make_engine(settings.db_url), "before_cursor_execute")
    def _statement(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        counts["statements"] += 1
        flat = " ".join(statement.split()).upper()
        if flat.startswith("SELECT") and " FROM DOCUMENT " in f"{flat} " and "DOCUMENT.ID = " in flat:
            counts["document_row_reads"] += 1

    folder = Path(tempfile.mkdtemp(prefix="motcua-dbs-"))
    files = []
    for i in range(documents):
        page = render.render_page(application_form(f"Người {i}", f"0940850{i:05d}", "Cần Thơ",
                                                   str(i), dt.date(2026, 11, 22)), dpi=150)
        files.append(render.save_png(page, folder / f"don-{i}.png"))
    code = f"DBS-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    import motcua.flows.digitize  # noqa: F401  (imports outside the count)

    counts.clear()
    outcome = digitize_files(settings, code, files)
    archived = sum(d.status == "archived" for d in outcome.documents)
    print(json.dumps({"dossier": code, "documents": documents, "archived": archived, **counts,
                      "per_archived_document": {k: round(v / max(archived, 1), 1)
                                                for k, v in counts.items()}}))


if __name__ == "__main__":
    main()
