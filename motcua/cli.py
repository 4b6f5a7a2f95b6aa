"""The `motcua` command line: the edge where settings are built and errors become exit codes.

Every command takes ``--json`` and then prints exactly one JSON document on stdout (progress
and logs go to stderr), so scripts can rely on it. Exit codes: 0 success; 1 a check failed or a
document could not be archived; 2 bad input (a document was quarantined, or invalid
arguments); 3 configuration or stack problem; 4 (audit verify) nothing failed but something
could not be decided now.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from motcua.errors import MotcuaError
from motcua.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n")[0])
archive_app = typer.Typer(no_args_is_help=True, help="Read the signed archive (auditor identity).")
audit_app = typer.Typer(no_args_is_help=True, help="Verify the signed archive.")
app.add_typer(archive_app, name="archive")
app.add_typer(audit_app, name="audit")

# Wide tables stay readable when piped into a file or `less`.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


class _State:
    data_dir: Path | None = None


_state = _State()


@app.callback()
def _main(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="MOTCUA_DATA_DIR", help="Embedded stack state (default ./.motcua).")] = None,
) -> None:
    """motcua: digitize, sign, archive and route one-stop-shop dossiers (hồ sơ TTHC)."""
    _state.data_dir = data_dir


def _settings() -> Settings:
    return Settings(data_dir=_state.data_dir) if _state.data_dir else Settings()


def _say(message: str) -> None:
    err.print(f"[dim]·[/dim] {message}")


def _emit(as_json: bool, payload: Any, human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        human()


def _run(as_json: bool, body: Callable[[], int | None]) -> None:
    """Run a command body; turn motcua's errors into a clear message and an exit code."""
    try:
        code = body() or 0
    except MotcuaError as exc:
        if as_json:
            _emit(True, {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}}, lambda: None)
        else:
            err.print(f"[bold red]error:[/bold red] {exc.message}")
            if exc.hint:
                err.print(f"[yellow]hint:[/yellow] {exc.hint}")
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit(code)


# --- the embedded stack ---------------------------------------------------------------------


@app.command()
def up(as_json: JsonOpt = False) -> None:
    """Start the embedded stack (SeaweedFS S3, Prefect server, test PKI services); idempotent."""
    from motcua.infra import stack

    def body() -> None:
        settings = _settings()
        stack.up(settings, progress=_say)
        st = stack.status(settings)
        _emit(as_json, st.to_json(), lambda: _print_stack(st.to_json()))

    _run(as_json, body)


@app.command()
def down(as_json: JsonOpt = False) -> None:
    """Stop what `motcua up` started (and only that)."""
    from motcua.infra import stack

    def body() -> None:
        stopped = stack.down(_settings())
        _emit(as_json, {"stopped": stopped},
              lambda: out.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running")))

    _run(as_json, body)


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Show what runs, where, and the archive's object-lock self-check."""
    from motcua.infra import stack

    def body() -> int:
        st = stack.status(_settings())
        _emit(as_json, st.to_json(), lambda: _print_stack(st.to_json()))
        return 0 if st.running else 1

    _run(as_json, body)


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


def _ensure_stack(settings: Settings) -> None:
    """Start what the settings leave to the embedded stack (S3, Prefect, the test PKI); with
    everything external, nothing is started."""
    uses_test_pki = settings.signer_pkcs12 is None and settings.tsa_url is None
    if settings.embedded_s3 or not settings.prefect_api_url or uses_test_pki:
        from motcua.infra import stack

        stack.up(settings, progress=_say)


# --- digitization ---------------------------------------------------------------------------


STEP_COLUMNS = ("scan", "ocr", "assemble", "sign", "archive", "index")


def _steps(durations: dict[str, float]) -> str:
    return " ".join(f"{durations[k]:.1f}" if k in durations else "-" for k in STEP_COLUMNS)


def _print_outcomes(outcomes: list, ui_url: str | None) -> None:
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
            table.add_row(outcome.dossier if i == 0 else "", d.source, status, str(d.pages or "-"),
                          f"{d.ocr_confidence:.1f}" if d.ocr_confidence is not None else "-",
                          d.signature_level or "-", where, _steps(d.durations))
    out.print(table)
    if ui_url:
        out.print(f"Prefect UI: {ui_url}")
        for outcome in outcomes:
            if outcome.flow_run_id:
                out.print(f"  {outcome.dossier}: {ui_url}/runs/flow-run/{outcome.flow_run_id}")


def _exit_code(outcomes: list) -> int:
    statuses = {d.status for o in outcomes for d in o.documents}
    if "quarantined" in statuses:
        return 2
    return 0 if statuses <= {"archived"} else 1


@app.command()
def digitize(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="Scans: PDF, TIFF, JPEG, PNG.")],
    dossier: Annotated[str, typer.Option("--dossier", help="Dossier code, e.g. 000.00.20.H13-261122-0001.")],
    applicant: Annotated[str | None, typer.Option(help="Applicant's CCCD or tax code (for reuse).")] = None,
    procedure: Annotated[str | None, typer.Option(help="Procedure (TTHC) code.")] = None,
    doc_type: Annotated[str | None, typer.Option("--doc-type", help="Document type of the files; default: classified from the text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Upload local scans to the intake bucket and digitize them with the Prefect flow.

    Exits 2 if a document was quarantined (its reason is printed), 1 if one waits for signing.
    """
    from motcua.dossier import validate_code
    from motcua.errors import ConfigurationError
    from motcua.run import digitize_files, prefect_ui_url

    def body() -> int:
        try:
            code = validate_code(dossier)
        except ValueError as exc:
            raise ConfigurationError(str(exc), hint="pass --dossier CODE") from None
        settings = _settings()
        _ensure_stack(settings)
        outcome = digitize_files(settings, code, files, applicant=applicant,
                                 procedure=procedure, doc_type=doc_type)
        _emit(as_json, outcome.to_json(), lambda: _print_outcomes([outcome], prefect_ui_url(settings)))
        for d in outcome.documents:
            if d.status != "archived" and not as_json:
                err.print(f"[bold red]{d.source}[/bold red]: {d.status}: {d.reason}")
        return _exit_code([outcome])

    _run(as_json, body)


@app.command()
def demo(as_json: JsonOpt = False) -> None:
    """Start the stack, render sample dossiers, digitize them, print a summary."""
    from motcua.demo import run_demo
    from motcua.run import prefect_ui_url

    def body() -> int:
        settings = _settings()
        _ensure_stack(settings)
        outcomes = run_demo(settings, say=_say)
        ui = prefect_ui_url(settings)
        _emit(as_json, {"prefect_ui": ui, "dossiers": [o.to_json() for o in outcomes]},
              lambda: _print_outcomes(outcomes, ui))
        # The damaged sample is meant to be quarantined; anything else not archived is a failure.
        bad = [d for o in outcomes for d in o.documents
               if d.status != "archived" and d.source != "bao-cao.pdf"]
        return 1 if bad else 0

    _run(as_json, body)


@app.command()
def samples(
    folder: Annotated[Path, typer.Argument(file_okay=False, help="Where to write the sample dossiers.")],
    as_json: JsonOpt = False,
) -> None:
    """Write the demo's sample dossiers (scans + dossier.json) to FOLDER, to try `digitize`."""
    import datetime as dt

    from motcua.agencies import agency_on
    from motcua.samples import make_demo_dossiers

    def body() -> None:
        now = dt.datetime.now(dt.UTC)
        made = make_demo_dossiers(folder, agency_code=agency_on(_settings().agency, now).code, received=now)
        payload = [{"dossier": d.code, "folder": str(d.folder), "files": sorted(p.name for p in d.folder.iterdir())} for d in made]
        _emit(as_json, payload, lambda: [out.print(f"{d['folder']}: {', '.join(d['files'])}") for d in payload])

    _run(as_json, body)


# --- the archive, for auditors --------------------------------------------------------------


@archive_app.command("get")
def archive_get(
    key: Annotated[str, typer.Argument(help="Archive key, e.g. H13/2026/<dossier>/<id>.pdf")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    as_json: JsonOpt = False,
) -> None:
    """Download an archived object with the read-only auditor identity; checks its SHA-256."""
    import hashlib

    from motcua.errors import ArchiveIntegrityError
    from motcua.storage import archive
    from motcua.storage.s3 import make_client

    def body() -> None:
        settings = _settings()
        client = make_client(settings, "auditor")
        info = archive.stat(client, settings.archive_bucket, key)
        if info is None:
            raise MotcuaError(f"no object {key!r} in the archive", hint="check the key (motcua audit verify DOSSIER lists them)", code="not_found")
        data = archive.get_bytes(client, settings.archive_bucket, key)
        digest = hashlib.sha256(data).hexdigest()
        if info.sha256 and digest != info.sha256:
            raise ArchiveIntegrityError(f"{key}: downloaded SHA-256 {digest} differs from its metadata {info.sha256}",
                                        hint="run `motcua audit verify` and report it")
        output.write_bytes(data)
        payload = {"key": key, "file": str(output), "bytes": len(data), "sha256": digest,
                   "version_id": info.version_id, "retention": info.retention_mode,
                   "retain_until": info.retain_until.isoformat() if info.retain_until else None}
        _emit(as_json, payload, lambda: out.print(f"{output}: {len(data):,} bytes, sha256 {digest} (matches metadata)"))

    _run(as_json, body)


@audit_app.command("verify")
def audit_verify(
    target: Annotated[str, typer.Argument(help="Dossier code, or one archive key (…/id.pdf).")],
    as_json: JsonOpt = False,
) -> None:
    """Check every archived document: signature, chain, level, SHA-256 fixity, version, lock.

    Every signature is reported (level, signer, chain, times, revocation and its evidence,
    coverage); motcua's, the last one, decides. Exit 0: every check holds; 1: a check failed;
    3: configuration or stack problem, nothing judged; 4: nothing failed, but a revocation
    status could not be obtained now (run again later).
    """
    import logging

    from motcua.audit import audit

    # pyHanko logs every failed certificate check with a traceback; the report says it in words.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    marks = {"ok": "[green]ok[/green]", "failed": "[red]FAIL[/red]",
             "indeterminate": "[yellow]UNDECIDED[/yellow]"}

    def body() -> int:
        report = audit(_settings(), target)

        def human() -> None:
            table = Table(title=f"audit of {target}", show_lines=False)
            for col in ("document", "check", "result", "detail"):
                table.add_column(col, overflow="fold")
            sigs = Table(title="signatures (the last one is motcua's and decides)")
            for col in ("document", "#", "field", "level", "verdict", "signer", "chain",
                        "revocation", "timestamp", "coverage"):
                sigs.add_column(col, overflow="fold")
            for d in report.documents:
                table.add_section()
                sigs.add_section()
                for i, c in enumerate(d.checks):
                    table.add_row(d.archive_key if i == 0 else "", c.name, marks[c.status], c.detail)
                for i, s in enumerate(d.signatures):
                    rev = s.revocation
                    sigs.add_row(
                        d.document_id if i == 0 else "", str(i + 1), s.field_name, s.level,
                        marks["ok" if s.verdict == "valid" else "failed" if s.verdict == "invalid" else "indeterminate"],
                        s.signer_subject, "trusted" if s.trusted else (s.chain_problem.code if s.chain_problem else "-"),
                        f"{rev.status} ({rev.source})",
                        f"{s.timestamp_time:%Y-%m-%d %H:%M:%S}" if s.timestamp_time else "-",
                        f"{s.coverage} / {s.modification_level}")
            out.print(table)
            if any(d.signatures for d in report.documents):
                out.print(sigs)
            if not report.documents:
                out.print("[red]no archived document found[/red]")
            out.print({"ok": "[green]all checks hold[/green]", "failed": "[red]some checks failed[/red]",
                       "indeterminate": "[yellow]nothing failed, but something could not be decided now: run again later[/yellow]"}[report.status])

        _emit(as_json, report.to_json(), human)
        return report.exit_code

    _run(as_json, body)


# --- archive care ---------------------------------------------------------------------------


@app.command()
def fixity(
    renew_within_days: Annotated[int, typer.Option(min=0, help="Renew B-LTA timestamps whose TSA certificate expires within this many days.")] = 365,
    as_json: JsonOpt = False,
) -> None:
    """Run the fixity audit now: every archived document verified, B-LTA timestamps renewed.

    Exits 0 if every document is ok, 1 if one failed, 4 if one could not be decided now.
    """
    from motcua.run import run_fixity

    def body() -> int:
        settings = _settings()
        _ensure_stack(settings)
        result = run_fixity(settings, renew_within_days=renew_within_days)

        def human() -> None:
            out.print(f"{result.checked} archived document(s) checked: {result.ok} ok, "
                      f"{result.failed} failed, {result.indeterminate} indeterminate, "
                      f"{result.renewed} timestamp(s) renewed")
            for d in result.documents:
                extra = ", ".join(d.failed_checks) or ("renewed" if d.renewed else d.note or "")
                out.print(f"  {d.archive_key}: {d.status} {extra}")
            out.print(f"report: {settings.reports_bucket}/{result.report_key}")

        _emit(as_json, result.to_json(), human)
        return 1 if result.failed else 4 if result.indeterminate else 0

    _run(as_json, body)


@app.command()
def serve() -> None:
    """Serve the scheduled flows on the Prefect server (blocks): the nightly fixity audit at
    01:30 Asia/Ho_Chi_Minh. Stop with Ctrl-C."""
    from motcua.run import serve_schedules

    def body() -> None:
        settings = _settings()
        _ensure_stack(settings)
        serve_schedules(settings)

    _run(False, body)


# --- benchmark ------------------------------------------------------------------------------


@app.command()
def bench(
    pages: Annotated[int, typer.Option(min=1, help="Pages to process.")] = 20,
    pages_per_document: Annotated[int, typer.Option(min=1, help="Pages per document.")] = 5,
    dpi: Annotated[int, typer.Option(min=100, max=600)] = 300,
    as_json: JsonOpt = False,
) -> None:
    """Full pipeline vs raw `tesseract -l vie` on the same pages, measured in the same run."""
    from motcua.bench import run_bench

    def body() -> None:
        settings = _settings()
        _ensure_stack(settings)
        result = run_bench(settings, pages=pages, pages_per_document=pages_per_document, dpi=dpi, say=_say)

        def human() -> None:
            table = Table(title=f"motcua bench: {result.pages} pages, {result.documents} document(s), {result.dpi} dpi, {result.workers} worker(s)")
            table.add_column("measure")
            table.add_column("value", justify="right")
            rows = [
                ("raw tesseract -l vie (s)", f"{result.tesseract_seconds:.2f}"),
                ("full pipeline (s)", f"{result.pipeline_seconds:.2f}"),
                ("ratio pipeline / tesseract", f"{result.ratio:.3f}"),
                ("pipeline pages/minute", f"{result.pages_per_minute:.1f}"),
                ("tesseract pages/minute", f"{result.tesseract_pages_per_minute:.1f}"),
                ("peak RSS, motcua process (MiB)", f"{result.peak_rss_mib:.0f}"),
                ("peak RSS, largest child (MiB)", f"{result.peak_child_rss_mib:.0f}"),
                ("documents archived", f"{result.archived}/{result.documents}"),
            ] + [(f"step {k} (s, summed)", f"{v:.2f}") for k, v in result.step_seconds.items()]
            for row in rows:
                table.add_row(*row)
            out.print(table)

        _emit(as_json, result.to_json(), human)

    _run(as_json, body)


@app.command("bench-sign")
def bench_sign(
    documents: Annotated[int, typer.Option(min=2, help="Documents per level.")] = 20,
    pages: Annotated[int, typer.Option(min=1, help="Pages per document.")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Signing throughput at B-B, B-T, B-LT (one process, one per core) against pyHanko's CLI
    on the same files, with size overhead per level."""
    from motcua.sign_bench import run_sign_bench

    def body() -> None:
        settings = _settings()
        _ensure_stack(settings)
        result = run_sign_bench(settings, documents=documents, pages=pages, say=_say)

        def human() -> None:
            table = Table(title=f"motcua bench-sign: {result.documents} documents of "
                                f"{result.pages_per_document} page(s), {result.workers} worker(s)")
            for col in ("level", "motcua docs/s", f"motcua ×{result.workers} docs/s",
                        "pyHanko CLI docs/s", f"CLI ×{result.workers} docs/s",
                        "motcua +KiB", "CLI +KiB"):
                table.add_column(col, justify="right")
            for r in result.levels:
                table.add_row(r.level, f"{r.motcua_docs_per_s:.2f}", f"{r.motcua_parallel_docs_per_s:.2f}",
                              f"{r.cli_docs_per_s:.2f}", f"{r.cli_parallel_docs_per_s:.2f}",
                              f"{r.motcua_overhead_kib:.1f}", f"{r.cli_overhead_kib:.1f}")
            out.print(table)

        _emit(as_json, result.to_json(), human)

    _run(as_json, body)
