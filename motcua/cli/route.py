"""`motcua route …` and `motcua dossier show | sheet`: a dossier's life after intake.

Every command that acts takes ``--unit UNIT --as OFFICER`` and prints the dossier as it stands
afterwards (``--json``: the same document as ``dossier show --json``). A refused transition exits
2 and records nothing; an unknown dossier exits 3 (docs/routing.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, ensure_stack, err, out, run, say, settings
from motcua.errors import ExitCode

route_app = typer.Typer(no_args_is_help=True, help="Route dossiers between units (one-stop rules).")
dossier_app = typer.Typer(no_args_is_help=True, help="See a dossier: status, handoffs, result.")
app.add_typer(route_app, name="route")
app.add_typer(dossier_app, name="dossier")

Code = Annotated[str, typer.Argument(help="Dossier code.")]
UnitOpt = Annotated[str, typer.Option("--unit", help="The unit acting, e.g. MOTCUA, VPDK (route procedures lists them).")]
Officer = Annotated[str, typer.Option("--as", help="The officer acting (full name).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (shown to the applicant).")]


def _when(value: str | None) -> str:
    return dt.datetime.fromisoformat(value).strftime("%H:%M %d/%m/%Y") if value else "–"


def _act(as_json: bool, code: str, action, done: str) -> None:
    """Run ``action`` (a routing service call), then print the dossier as it now stands."""
    from motcua.services.dossier_view import show

    def body() -> int:
        s = settings()
        action(s)
        view = show(s, code)
        emit(as_json, view, lambda: out.print(
            f"[green]✓[/green] {escape(code)}: {escape(done)}; now {escape(view['status_label'])} "
            f"({view['status']}), with {view['holder'] or 'nobody (on its way)'}"))
        return ExitCode.OK

    run(as_json, body)


@route_app.command("procedures")
def procedures(as_json: JsonOpt = False) -> None:
    """The procedures with a route: code, name, and the units a dossier passes in order."""
    from motcua.services.routing import procedures as listed

    def body() -> None:
        found = listed(settings())
        table = Table(title="procedures and their routes")
        for col in ("code", "name", "route", "working days"):
            table.add_column(col, overflow="fold")
        for p in found:
            table.add_row(p["code"], escape(p["name"]), " → ".join(p["route"]), f"{p['days']:g}")
        emit(as_json, found, lambda: out.print(table))

    run(as_json, body)


@route_app.command("inbox")
def inbox(unit: Annotated[str, typer.Argument(help="Unit code.")], as_json: JsonOpt = False) -> None:
    """The dossiers UNIT must act on: sent to it and not yet received, or received and not yet
    sent on; oldest first, overdue marked."""
    from motcua.services.dossier_view import inbox as items_of

    def body() -> None:
        items = items_of(settings(), unit)
        table = Table(title=f"inbox of {unit}: {len(items)} dossier(s)")
        for col in ("dossier", "from", "sent", "received", "due", "status"):
            table.add_column(col, overflow="fold")
        for i in items:
            due = _when(i["due_at"]) + (" [red]OVERDUE[/red]" if i["overdue"] else "")
            table.add_row(escape(i["dossier"]), i["from"] or "(intake)", _when(i["sent_at"]),
                          _when(i["received_at"]) if i["received_at"] else "[yellow]not yet[/yellow]",
                          due, i["status"])
        emit(as_json, items, lambda: out.print(table))

    run(as_json, body)


@route_app.command("receive")
def receive(code: Code, unit: UnitOpt, officer: Officer, as_json: JsonOpt = False) -> None:
    """Take hold of a dossier sent to UNIT."""
    from motcua.services import routing

    _act(as_json, code, lambda s: routing.receive(s, code, unit=unit, officer=officer),
         f"received by {unit} ({officer})")


@route_app.command("send")
def send(
    code: Code, unit: UnitOpt, officer: Officer,
    to: Annotated[str, typer.Option("--to", help="The unit to hand the dossier to.")],
    paper: Annotated[bool, typer.Option("--paper", help="Record a handoff that already happened on paper (sent and received at once).")] = False,
    note: Annotated[str | None, typer.Option("--note", help="A note for the receiving unit.")] = None,
    received_by: Annotated[str | None, typer.Option("--received-by", help="With --paper: who signed for it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand a dossier UNIT holds to another unit, electronically (or record a paper handoff)."""
    from motcua.services import routing

    _act(as_json, code, lambda s: routing.send(s, code, unit=unit, officer=officer, to=to,
                                               paper=paper, note=note, received_by=received_by),
         f"sent by {unit} to {to}" + (" on paper" if paper else ""))


def _change(name: str, status: str, reason_required: bool):
    from motcua.services import routing

    if reason_required:
        def command(code: Code, unit: UnitOpt, officer: Officer, reason: Reason,
                    as_json: JsonOpt = False) -> None:
            _act(as_json, code, lambda s: routing.change(s, code, unit=unit, officer=officer,
                                                         to_status=status, reason=reason), status)
    else:
        def command(code: Code, unit: UnitOpt, officer: Officer,  # type: ignore[misc]
                    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
                    as_json: JsonOpt = False) -> None:
            _act(as_json, code, lambda s: routing.change(s, code, unit=unit, officer=officer,
                                                         to_status=status, reason=reason), status)
    command.__doc__ = f"Mark a dossier UNIT holds as {status} ({routing.LABELS[status]})."
    route_app.command(name)(command)


_change("request-supplement", "supplement_requested", True)
_change("refuse", "refused", True)
_change("withdraw", "withdrawn", False)
_change("stop", "stopped", False)


@route_app.command("resolve")
def resolve(
    code: Code, unit: UnitOpt, officer: Officer,
    result: Annotated[list[Path], typer.Option("--result", exists=True, dir_okay=False, readable=True, help="A result file (scan or PDF); repeat, or list more files after it.")],
    more: Annotated[list[Path] | None, typer.Argument(exists=True, dir_okay=False, readable=True, help="More result files.", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Digitize, sign and archive the result (kind `result`), then mark the dossier resolved.

    The files take the path every dossier file takes (intake, the watcher, a worker); the command
    returns once they are archived. A result that cannot be archived leaves the dossier as it was
    (exit 2 if quarantined, 1 if it waits to be signed).
    """
    from motcua.flows.launch import digitize_files, submit_and_follow
    from motcua.services import routing
    from motcua.services.dossier_view import show

    files = [*result, *(more or [])]

    def body() -> int:
        s = settings()
        routing.check_resolvable(s, code, unit=unit, officer=officer)
        ensure_stack(s)
        outcome = (submit_and_follow(s, code, files, kind="result", say=say) if s.service
                   else digitize_files(s, code, files, kind="result"))
        failed = [d for d in outcome.documents if d.status != "archived"]
        for d in failed:
            err.print(f"[bold red]{escape(d.source)}[/bold red]: {d.status}: {escape(d.reason or '')}")
        if failed:
            err.print(f"{escape(code)} is not resolved: its result is not archived")
            quarantined = any(d.status == "quarantined" for d in failed)
            emit(as_json, {"error": {"code": "result_not_archived", "message": "the result is not archived",
                                     "hint": "rescan the result and resolve again"},
                           "outcome": outcome.to_json()}, lambda: None)
            return ExitCode.BAD_INPUT if quarantined else ExitCode.FAILED
        routing.mark_resolved(s, code, unit=unit, officer=officer,
                              results=[d.document_id for d in outcome.documents if d.document_id])
        view = show(s, code)
        timing = {True: "[green]on time[/green]", False: "[red]late[/red]", None: "no due time"}
        emit(as_json, view, lambda: out.print(
            f"[green]✓[/green] {escape(code)} resolved at {_when(view['resolved_at'])} "
            f"({timing[view['on_time']]}, due {_when(view['due_at'])}); result archived at "
            f"{escape(view['result']['archive_key'])}"))
        return ExitCode.OK

    run(as_json, body)


@route_app.command("return")
def return_(code: Code, unit: UnitOpt, officer: Officer, as_json: JsonOpt = False) -> None:
    """The desk hands the result back to the applicant (after resolve)."""
    from motcua.services import routing

    _act(as_json, code, lambda s: routing.return_result(s, code, unit=unit, officer=officer),
         f"result returned to the applicant by {unit} ({officer})")


@dossier_app.command("show")
def dossier_show(code: Code, as_json: JsonOpt = False) -> None:
    """The receipt data, the components, the timeline (Vietnamese time) and the result."""
    from motcua.services.dossier_view import show

    def body() -> None:
        view = show(settings(), code)
        emit(as_json, view, lambda: _print_dossier(view))

    run(as_json, body)


@dossier_app.command("sheet")
def dossier_sheet(
    code: Code,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="HTML file to write (default phieu-kiem-soat-CODE.html).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ), printable HTML."""
    from motcua.services.control_sheet import render_html
    from motcua.services.dossier_view import show
    from motcua.text import safe_key_name

    def body() -> None:
        html = render_html(show(settings(), code))
        path = output or Path(f"phieu-kiem-soat-{safe_key_name(code)}.html")
        path.write_text(html, encoding="utf-8")
        emit(as_json, {"dossier": code, "path": str(path)}, lambda: out.print(f"control sheet: {path}"))

    run(as_json, body)


def _print_dossier(v: dict[str, Any]) -> None:
    timing = {True: " (đúng hạn)", False: " [red](trễ hạn)[/red]", None: ""}[v["on_time"]]
    out.print(f"[bold]Hồ sơ {escape(v['code'])}[/bold]: {escape(v['status_label'])} ({v['status']})")
    out.print(f"Cơ quan: {escape(v['agency']['code'] or '')} {escape(v['agency']['name'] or '')}")
    out.print(f"Thủ tục: {escape(v['procedure']['code'] or '–')} {escape(v['procedure']['name'] or '')}")
    out.print(f"Người nộp: {escape(v['applicant']['name'] or '')} {escape(v['applicant']['id'] or '–')}; kênh {v['channel']}")
    out.print(f"Tiếp nhận {_when(v['received_at'])} · hẹn trả {_when(v['due_at'])} · có kết quả "
              f"{_when(v['resolved_at'])}{timing} · đã trả {_when(v['returned_at'])}")
    if v["route"]:
        out.print(f"Quy trình: {' → '.join(v['route'])}; đang ở: {v['holder'] or '(đang chuyển)'}")
    docs = Table(title="thành phần hồ sơ và kết quả")
    for col in ("document", "kind", "status", "pages", "archive key / reason"):
        docs.add_column(col, overflow="fold")
    for d in [*v["components"], *v["results"]]:
        docs.add_row(escape(d["name"]), d["kind"], d["status"], str(d["pages"] or "–"),
                     escape(d["archive_key"] or f"{d['reason'] or ''}"))
    out.print(docs)
    timeline = Table(title="diễn biến (giờ Việt Nam)")
    for col in ("time", "event", "who", "note"):
        timeline.add_column(col, overflow="fold")
    for e in v["events"]:
        if e["kind"] == "step" and (e["step"] not in ("archive", "quarantine") or e["status"] == "running"):
            continue  # the human timeline keeps one line per document; --json has every step
        what, who, note = _event_line(e)
        timeline.add_row(_when(e["at"]), what, escape(who or ""), note)
    out.print(timeline)
    if v["steps"]:
        steps = Table(title="các bước theo quy trình (giờ Việt Nam)")
        for col in ("unit", "from", "to", "due", ""):
            steps.add_column(col, overflow="fold")
        for st in v["steps"]:
            steps.add_row(st["unit"], _when(st["started_at"]), _when(st["ended_at"]) if st["ended_at"] else "…",
                          _when(st["due_at"]), "[red]QUÁ HẠN[/red]" if st["overdue"] else "")
        out.print(steps)
    if v["result"]:
        out.print(f"Kết quả: {escape(v['result']['archive_key'])}")


def _event_line(e: dict[str, Any]) -> tuple[str, str | None, str]:
    from motcua.services.routing import LABELS

    if e["kind"] == "step":
        return f"{e['step']} {e['status']} ({e['document_id']})", None, escape(e.get("error") or "")
    if e["kind"] == "status":
        return (f"{LABELS.get(e['to'], e['to'])} ({e['to']})", f"{e['unit'] or ''} {e['by'] or ''}",
                escape(e["reason"] or ""))
    if e["kind"] == "sent":
        return f"{e['from']} → {e['to']} ({e['mode']})", e["by"], escape(e["note"] or "")
    return f"{e['unit']} nhận", e["by"], ""
