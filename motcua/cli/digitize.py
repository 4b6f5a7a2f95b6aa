"""`motcua digitize | demo | samples`: dossiers through the pipeline, and sample dossiers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, ensure_stack, err, out, run, say, settings
from motcua.errors import ExitCode
from motcua.outcomes import STEPS as STEP_COLUMNS
from motcua.outcomes import DossierOutcome


def _steps(durations: dict[str, float]) -> str:
    return " ".join(f"{durations[k]:.1f}" if k in durations else "-" for k in STEP_COLUMNS)


def _print_outcomes(outcomes: list[DossierOutcome], ui_url: str | None) -> None:
    table = Table(title="digitized dossiers", show_lines=False)
    for col in ("dossier", "document", "status", "pages", "OCR conf.", "signature",
                "archive key / reason", "scan ocr asm sign arch idx (s)"):
        table.add_column(col, overflow="fold")
    for outcome in outcomes:
        table.add_section()
        for i, d in enumerate(outcome.documents):
            status = {"archived": "[green]archived[/green]", "quarantined": "[red]quarantined[/red]"}.get(
                d.status, f"[yellow]{d.status}[/yellow]")
            if d.already_archived:
                status += " (already)"
            where = d.archive_key if d.status == "archived" else f"{d.reason_code}: {d.reason}"
            table.add_row(outcome.dossier if i == 0 else "", escape(d.source), status,
                          str(d.pages or "-"),
                          f"{d.ocr_confidence:.1f}" if d.ocr_confidence is not None else "-",
                          d.signature_level or "-", escape(where or "-"), _steps(d.durations))
    out.print(table)
    for outcome in outcomes:
        if outcome.manifest is not None:
            m = outcome.manifest
            out.print(f"[red]{outcome.dossier}/dossier.json quarantined[/red]: "
                      f"{escape(m.reason_code)}: {escape(m.reason)} → {escape(m.quarantine_key)}")
    if ui_url:
        out.print(f"Prefect UI: {ui_url}")
        for outcome in outcomes:
            if outcome.flow_run_id:
                out.print(f"  {outcome.dossier}: {ui_url}/runs/flow-run/{outcome.flow_run_id}")


def exit_code(outcomes: list[DossierOutcome]) -> int:
    """2 if a document or a manifest was quarantined, 1 if one waits to be signed, else 0."""
    statuses = {d.status for o in outcomes for d in o.documents}
    statuses |= {o.manifest.status for o in outcomes if o.manifest is not None}
    if "quarantined" in statuses:
        return ExitCode.BAD_INPUT
    return ExitCode.OK if statuses <= {"archived"} else ExitCode.FAILED


@app.command()
def digitize(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="Scans: PDF, TIFF, JPEG, PNG.")],
    dossier: Annotated[str, typer.Option("--dossier", help="Dossier code, e.g. 000.00.20.H13-261122-0001.")],
    applicant: Annotated[str | None, typer.Option(help="Applicant's CCCD or tax code (for reuse).")] = None,
    procedure: Annotated[str | None, typer.Option(help="Procedure (TTHC) code.")] = None,
    doc_type: Annotated[str | None, typer.Option("--doc-type", help="Document type of the files; default: classified from the text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Upload local scans to the intake bucket and follow their run to its end.

    The files go to intake/<dossier>/ with the intake identity, as a desk PC would; the watcher
    hands them to a worker, and this command prints what became of each. With
    MOTCUA_SERVICE=false (no watcher), the flow runs in this process instead.

    Exits 2 if a document was quarantined (its reason is printed) or the arguments are invalid,
    1 if one waits for signing.
    """
    from motcua.doc_types import check_type
    from motcua.errors import BadArguments
    from motcua.flows.launch import digitize_files, submit_and_follow
    from motcua.infra.state import prefect_ui_url
    from motcua.manifest import validate_code

    def body() -> int:
        try:
            code = validate_code(dossier)
        except ValueError as exc:
            raise BadArguments(str(exc), hint="pass --dossier CODE") from None
        s = settings()
        check_type(doc_type, s.doc_types_file)
        ensure_stack(s)
        if s.service:  # the path every dossier takes: intake, the watcher, a worker
            outcome = submit_and_follow(s, code, files, applicant=applicant, procedure=procedure,
                                        doc_type=doc_type, say=say)
        else:  # MOTCUA_SERVICE=false: no watcher runs, so run the flow here
            outcome = digitize_files(s, code, files, applicant=applicant,
                                     procedure=procedure, doc_type=doc_type)
        emit(as_json, outcome.to_json(), lambda: _print_outcomes([outcome], prefect_ui_url(s)))
        for d in outcome.documents:
            if d.status != "archived" and not as_json:
                err.print(f"[bold red]{escape(d.source)}[/bold red]: {d.status}: {escape(d.reason or '')}")
        return exit_code([outcome])

    run(as_json, body)


@app.command()
def demo(as_json: JsonOpt = False) -> None:
    """Start the stack, render sample dossiers, digitize them, print a summary."""
    from motcua.infra.state import prefect_ui_url
    from motcua.samples.demo import run_demo
    from motcua.samples.documents import DAMAGED_SAMPLE

    def body() -> int:
        s = settings()
        ensure_stack(s)
        outcomes = run_demo(s, say=say)
        ui = prefect_ui_url(s)
        emit(as_json, {"prefect_ui": ui, "dossiers": [o.to_json() for o in outcomes]},
             lambda: _print_outcomes(outcomes, ui))
        # The damaged sample is meant to be quarantined; anything else not archived is a failure.
        bad = [d for o in outcomes for d in o.documents
               if d.status != "archived" and d.source != DAMAGED_SAMPLE]
        return ExitCode.FAILED if bad else ExitCode.OK

    run(as_json, body)


@app.command()
def samples(
    folder: Annotated[Path, typer.Argument(file_okay=False, help="Where to write the sample dossiers.")],
    as_json: JsonOpt = False,
) -> None:
    """Write the demo's sample dossiers (scans + dossier.json) to FOLDER, to try `digitize`."""
    from motcua.agencies import agency_on
    from motcua.samples.documents import make_demo_dossiers
    from motcua.times import utcnow

    def body() -> None:
        now = utcnow()
        made = make_demo_dossiers(folder, agency_code=agency_on(settings().agency, now).code, received=now)
        payload = [{"dossier": d.code, "folder": str(d.folder), "files": sorted(p.name for p in d.folder.iterdir())} for d in made]
        emit(as_json, payload, lambda: [out.print(f"{d['folder']}: {', '.join(d['files'])}") for d in payload])

    run(as_json, body)
