"""`motcua search`: full-text search over the archived text, for auditors and desk officers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, out, run, settings


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help='Words that must all appear; "quoted words" are a phrase.')],
    fold: Annotated[bool, typer.Option("--fold", help="Ignore tone marks and đ: 'dang ky' finds 'Đăng ký'.")] = False,
    subject: Annotated[str | None, typer.Option("--subject", help="Only this applicant's dossiers (CCCD or tax code).")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency code, e.g. H13.")] = None,
    date_from: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Dossiers received on or after (YYYY-MM-DD, Vietnam).")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Dossiers received on or before (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Results to show.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Search the archived documents' text; ranked, one result per document, with the total."""
    from motcua.services.search import search as find

    def body() -> None:
        found = find(settings(), query, fold=fold, subject=subject, doc_type=doc_type, agency=agency,
                     date_from=date_from.date() if date_from else None,
                     date_to=date_to.date() if date_to else None, limit=limit)
        ranked = "" if found["ranked"] == found["total"] else f" (the newest {found['ranked']:,} ranked)"
        table = Table(title=f"{found['total']:,} document(s) match; {len(found['results'])} shown{ranked}")
        for col in ("dossier", "type", "snippet", "archive key"):
            table.add_column(col, overflow="fold")
        for r in found["results"]:
            table.add_row(escape(r["dossier"]), r["type"],
                          escape(r["snippet"]).replace("«", "[bold yellow]").replace("»", "[/bold yellow]"),
                          escape(r["archive_key"] or ""))
        emit(as_json, found, lambda: out.print(table))

    run(as_json, body)
