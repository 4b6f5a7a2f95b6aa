"""`motcua kpi` and `motcua import dossiers`: the plan's figures for a period, traceable to dossier
codes, and the one-stop system's history loaded so that they cover every dossier (docs/kpi.md)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, err, out, run, say, settings
from motcua.errors import BadArguments

import_app = typer.Typer(no_args_is_help=True, help="Load data from outside motcua.")
app.add_typer(import_app, name="import")


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


def _period(date_from: dt.datetime, date_to: dt.datetime):
    from motcua.core.kpi import Period

    return Period(date_from.date(), date_to.date())


@app.command("kpi")
def kpi(
    date_from: Annotated[dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD, Vietnam), included.")] = None,
    date_to: Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (YYYY-MM-DD, Vietnam), included.")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency code, e.g. H13.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json, csv or html (a Vietnamese report).")] = Format.table,
    explain: Annotated[str | None, typer.Option("--explain", help="List the dossier codes in NAME's numerator and denominator.")] = None,
    nightly: Annotated[bool, typer.Option("--nightly", help="Run the nightly-kpis flow now instead: snapshots, artifact, report in the reports bucket.")] = False,
    today: Annotated[dt.datetime | None, typer.Option("--today", formats=["%Y-%m-%d"], help="With --nightly: compute as if today were this date.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The plan's KPIs and the Decision-766 counters for a period (docs/kpi.md).

    A figure whose denominator is 0 has value, met and verdict null. --explain NAME takes a KPI
    or a Decision-766 counter name. --nightly runs the nightly flow on the stack (yesterday,
    the month and the year to date) and prints where its report is.
    """
    from motcua.services import kpi as kpis
    from motcua.services.kpi_report import render_csv, render_html

    fmt = Format.json if as_json else fmt
    structured = fmt == Format.json

    def body() -> None:
        if nightly:
            _nightly(structured, today)
            return
        if date_from is None or date_to is None:
            raise BadArguments("a period needs --from and --to", hint="motcua kpi --from 2026-03-01 --to 2026-03-31")
        period = _period(date_from, date_to)
        if explain is not None:
            found = kpis.explain(settings(), explain, period, agency)
            if fmt == Format.csv:
                rows = csv.writer(sys.stdout, lineterminator="\n")
                rows.writerow(["part", "code"])
                rows.writerows([part, code] for part in ("numerator", "denominator") for code in found[part])
                return
            if fmt == Format.html:
                raise BadArguments("--explain prints a table, JSON or CSV", hint="--format table|json|csv")

            def human() -> None:
                for part in ("numerator", "denominator"):
                    out.print(f"[bold]{part}[/bold] ({len(found[part])}): "
                              + escape(", ".join(found[part]) or "–"))

            emit(structured, found, human)
            return
        result = kpis.compute(settings(), period, agency)
        if fmt == Format.csv:
            sys.stdout.write(render_csv(result))
        elif fmt == Format.html:
            sys.stdout.write(render_html(result))
        else:
            emit(structured, result, lambda: _tables(result))

    run(structured, body)


def _nightly(structured: bool, today: dt.datetime | None) -> None:
    from motcua.cli.base import ensure_stack
    from motcua.flows.launch import run_nightly_kpis

    s = settings()
    ensure_stack(s)
    done = run_nightly_kpis(s, today=today.date().isoformat() if today else "")
    summary = {k: done[k] for k in ("date", "snapshots", "report_key")} | {"bucket": s.reports_bucket}
    emit(structured, done if structured else summary, lambda: out.print(
        f"KPIs as of {done['date']}: {done['snapshots']} snapshot rows; report "
        f"{s.reports_bucket}/{done['report_key']}"))


def _tables(result: dict) -> None:
    from motcua.core.kpi import COUNTERS_766, KPIS, RATES

    def shown(name: str, v: float | None) -> str:
        if v is None:
            return "–"
        return f"{v:.1%}" if name in RATES or name.startswith("rate_") else f"{v:,.1f}"

    table = Table(title=f"KPIs {result['from']} → {result['to']}" + (f", {result['agency']}" if result["agency"] else ""))
    for col in ("KPI", "numerator", "denominator", "value", "target", "met"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for name in KPIS:
        f = result["kpis"][name]
        met = {None: "–", True: "[green]yes[/green]", False: "[red]no[/red]"}[f["met"]]
        table.add_row(name, f"{f['numerator']:,}", f"{f['denominator']:,}", shown(name, f["value"]),
                      shown(name, f["target"]), met)
    out.print(table)
    d = result["decision_766"]
    table = Table(title="Decision 766")
    for col in ("counter", "value"):
        table.add_column(col)
    for name in COUNTERS_766:
        table.add_row(name, f"{d[name]:,}")
    table.add_row("rate_components", f"{shown('rate_', d['rate_components'])} {d['verdict_components'] or ''}")
    table.add_row("rate_results", f"{shown('rate_', d['rate_results'])} {d['verdict_results'] or ''}")
    out.print(table)


@import_app.command("dossiers")
def import_dossiers(
    file: Annotated[Path, typer.Argument(help="UTF-8 CSV with a header row (docs/kpi.md lists the columns).")],
    as_json: JsonOpt = False,
) -> None:
    """Load the one-stop system's dossiers. Bad rows are reported with their line and reason and
    skipped (exit 2); the good rows are kept; importing the same file again changes nothing."""
    from motcua.services.import_dossiers import import_dossiers as load

    def body() -> int:
        report = load(settings(), file, say=say)

        def human() -> None:
            out.print(f"{report['rows']:,} rows: {report['created']:,} new, {report['updated']:,} updated, "
                      f"{report['merged']:,} merged into motcua's own dossiers, {report['unchanged']:,} unchanged, "
                      f"{len(report['bad']):,} bad")
            for bad in report["bad"]:
                err.print(f"[red]line {bad['line']}[/red] {escape(bad['code'] or '')}: {escape(bad['reason'])}")

        emit(as_json, report, human)
        return 2 if report["bad"] else 0

    run(as_json, body)
