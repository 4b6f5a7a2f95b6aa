"""`motcua reuse find | use`: papers the state already holds, offered instead of asked for again."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, out, run, settings

reuse_app = typer.Typer(no_args_is_help=True, help="Reuse papers the archive already holds for an applicant.")
app.add_typer(reuse_app, name="reuse")


@reuse_app.command("find")
def find(
    subject: Annotated[str, typer.Option("--subject", help="The applicant's CCCD or tax code.")],
    doc_type: Annotated[str | None, typer.Option("--type", help="A document type code (motcua/data/doc_types.json).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The applicant's signed, archived papers; expired or superseded ones apart, never offered."""
    from motcua.services.reuse import find as held

    def body() -> None:
        papers = held(settings(), subject, doc_type)

        def human() -> None:
            for title, group in (("reusable", [p for p in papers if p["reusable"]]),
                                 ("not reusable (expired or superseded)", [p for p in papers if not p["reusable"]])):
                table = Table(title=f"{title}: {len(group)}")
                for col in ("document", "type", "number", "issuer", "issued", "valid to", "from dossier",
                            "signature", "archive key"):
                    table.add_column(col, overflow="fold")
                for p in group:
                    table.add_row(p["document_id"], p["type"], escape(p["number"] or "–"),
                                  escape(p["issuer"] or "–"), p["issued_on"] or "–",
                                  (p["valid_to"] or "lâu dài") + (f" ({p['why_not']})" if p["why_not"] else ""),
                                  escape(p["dossier"]), p["signature_level"] or "–", escape(p["archive_key"]))
                out.print(table)

        emit(as_json, papers, human)

    run(as_json, body)


@reuse_app.command("use")
def use(
    dossier: Annotated[str, typer.Option("--dossier", help="The dossier that takes the paper.")],
    document: Annotated[str, typer.Option("--document", help="The held paper's document id (reuse find lists them).")],
    component: Annotated[str | None, typer.Option("--component", help="The component it stands for (default: its type).")] = None,
    source: Annotated[str, typer.Option("--source", help="local (this archive) or national (the national database).")] = "local",
    officer: Annotated[str | None, typer.Option("--as", help="The officer recording it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that DOSSIER reuses a held paper instead of asking for it (what the reuse KPI counts).

    Refused with exit 2, nothing recorded: an unknown document, another applicant's, an expired or
    superseded one. Exit 3: no such dossier.
    """
    from motcua.services.reuse import use as record

    def body() -> None:
        done = record(settings(), dossier, document, component=component, source=source, officer=officer)
        emit(as_json, done, lambda: out.print(
            f"[green]✓[/green] {escape(dossier)} reuses {done['document_id']} ({escape(done['component'])}) "
            f"from dossier {escape(done['from_dossier'])}"))

    run(as_json, body)
