"""`motcua up | down | status | serve`: the embedded stack and the scheduled flows."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, ensure_stack, out, run, say, settings


@app.command()
def up(as_json: JsonOpt = False) -> None:
    """Start the embedded stack (SeaweedFS S3, Prefect server, test PKI services); idempotent."""
    from motcua.infra import stack

    def body() -> None:
        s = settings()
        stack.up(s, progress=say)
        st = stack.status(s)
        emit(as_json, st.to_json(), lambda: _print_stack(st.to_json()))

    run(as_json, body)


@app.command()
def down(as_json: JsonOpt = False) -> None:
    """Stop what `motcua up` started (and only that)."""
    from motcua.infra import stack

    def body() -> None:
        stopped = stack.down(settings())
        emit(as_json, {"stopped": stopped},
             lambda: out.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running")))

    run(as_json, body)


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Show what runs, where, and the archive's object-lock self-check."""
    from motcua.infra import stack

    def body() -> int:
        st = stack.status(settings())
        emit(as_json, st.to_json(), lambda: _print_stack(st.to_json()))
        return 0 if st.running else 1

    run(as_json, body)


@app.command()
def serve(
    as_json: JsonOpt = False,
    start_stack: Annotated[bool, typer.Option(
        "--stack/--no-stack", help="Start the embedded stack first (--no-stack: a process the "
        "stack or systemd starts, where the servers are already there).")] = True,
) -> None:
    """Serve motcua's deployments on the Prefect server (blocks): the nightly KPIs at 00:30 and
    the fixity audit at 01:30 Asia/Ho_Chi_Minh, and digitize-dossier and intake-watch runs
    started from the UI.
    Stop with Ctrl-C. With --json, one JSON document saying what is served is printed first."""
    from motcua.flows.deployments import NAMES
    from motcua.flows.fixity import NIGHTLY_CRON
    from motcua.flows.kpi import NIGHTLY_CRON as KPI_CRON
    from motcua.flows.launch import serve_schedules
    from motcua.infra.state import prefect_ui_url
    from motcua.times import VN_TZ_NAME

    def body() -> None:
        s = settings()
        if start_stack:
            ensure_stack(s)
        crons = {"fixity-audit/nightly": NIGHTLY_CRON, "nightly-kpis/nightly": KPI_CRON}
        served = [{"deployment": name, **({"cron": crons[name], "timezone": VN_TZ_NAME}
                                          if name in crons else {})}
                  for name in NAMES]
        emit(as_json, {"prefect_ui": prefect_ui_url(s), "serving": served},
             lambda: say(f"serving {', '.join(NAMES)} on {prefect_ui_url(s)} (Ctrl-C stops)"))
        serve_schedules(s)

    run(as_json, body)


def _print_stack(data: dict) -> None:
    """Services, addresses and where the generated secrets live (never the secrets)."""
    table = Table(title="motcua embedded stack", show_lines=False)
    table.add_column("service")
    table.add_column("state")
    table.add_column("address")
    table.add_column("pid", justify="right")
    for name, svc in (data.get("services") or {}).items():
        state = "[green]running[/green]" if svc.get("running") else "[red]stopped[/red]"
        table.add_row(name, state, str(svc.get("url") or svc.get("endpoint") or "-"), str(svc.get("pid") or "-"))
    out.print(table)
    lock = data.get("object_lock") or {}
    out.print(f"data dir: {data.get('data_dir')}")
    out.print(f"credentials (0600, never printed): {data.get('credentials_file')}")
    for name, key in (data.get("identities") or {}).items():
        out.print(f"  {name}: access key {key}")
    out.print(f"Prefect UI: {data.get('prefect_ui_url')}")
    if lock:
        verdict = "[green]enforced[/green]" if lock.get("ok") else "[red]NOT enforced[/red]"
        out.print(f"archive object lock self-check: {verdict} ({lock.get('detail')})")
