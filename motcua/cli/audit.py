"""`motcua archive get | audit verify | fixity | report list | report get`: the signed archive and
the reports, for auditors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, ensure_stack, out, run, settings
from motcua.errors import ExitCode, MotcuaError

archive_app = typer.Typer(no_args_is_help=True, help="Read the signed archive (auditor identity).")
audit_app = typer.Typer(no_args_is_help=True, help="Verify the signed archive.")
report_app = typer.Typer(no_args_is_help=True, help="Read the reports: nightly KPIs, fixity audits (auditor identity).")
app.add_typer(archive_app, name="archive")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")

MARKS = {"ok": "[green]ok[/green]", "failed": "[red]FAIL[/red]",
         "indeterminate": "[yellow]UNDECIDED[/yellow]"}


def _checked_download(bucket: str, key: str, *, missing: str, hint: str):
    """An object read with the auditor identity, its bytes checked against the SHA-256 in its
    metadata: (bytes, digest, what S3 says of it)."""
    import hashlib

    from motcua.errors import ArchiveIntegrityError
    from motcua.storage import archive
    from motcua.storage.s3 import make_client

    client = make_client(settings(), "auditor")
    info = archive.stat(client, bucket, key)
    if info is None:
        raise MotcuaError(missing, hint=hint, code="not_found")
    data = archive.get_bytes(client, bucket, key)
    digest = hashlib.sha256(data).hexdigest()
    if info.sha256 and digest != info.sha256:
        raise ArchiveIntegrityError(f"{key}: downloaded SHA-256 {digest} differs from its metadata {info.sha256}",
                                    hint="run `motcua audit verify` and report it")
    return data, digest, info


@archive_app.command("get")
def archive_get(
    key: Annotated[str, typer.Argument(help="Archive key, e.g. H13/2026/<dossier>/<id>.pdf")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    as_json: JsonOpt = False,
) -> None:
    """Download an archived object with the read-only auditor identity; checks its SHA-256."""

    def body() -> None:
        s = settings()
        data, digest, info = _checked_download(
            s.archive_bucket, key, missing=f"no object {key!r} in the archive",
            hint="check the key (motcua audit verify DOSSIER lists them)")
        output.write_bytes(data)
        payload = {"key": key, "file": str(output), "bytes": len(data), "sha256": digest,
                   "version_id": info.version_id, "retention": info.retention_mode,
                   "retain_until": info.retain_until.isoformat() if info.retain_until else None}
        emit(as_json, payload, lambda: out.print(f"{output}: {len(data):,} bytes, sha256 {digest} (matches metadata)"))

    run(as_json, body)


@report_app.command("list")
def report_list(
    prefix: Annotated[str, typer.Option("--prefix", help="Only keys starting so: kpi/ or fixity/.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """The reports in the reports bucket, newest first."""
    from motcua.storage.reports import list_reports
    from motcua.storage.s3 import make_client

    def body() -> None:
        s = settings()
        found = [{"key": k, "bytes": n, "modified": m}
                 for k, n, m in list_reports(make_client(s, "auditor"), s.reports_bucket, prefix)]

        def human() -> None:
            table = Table(title=f"{len(found)} report(s) in {s.reports_bucket}/{prefix}")
            for col in ("key", "bytes", "modified (UTC)"):
                table.add_column(col)
            for f in found:
                table.add_row(f["key"], f"{f['bytes']:,}", f["modified"])
            out.print(table)

        emit(as_json, found, human)

    run(as_json, body)


@report_app.command("get")
def report_get(
    key: Annotated[str, typer.Argument(help="Report key, e.g. kpi/2026-03-31.html (report list shows them).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    as_json: JsonOpt = False,
) -> None:
    """Download a report with the read-only auditor identity; checks its SHA-256."""

    def body() -> None:
        data, digest, _info = _checked_download(settings().reports_bucket, key, missing=f"no report {key!r}",
                                                hint="motcua report list shows them")
        output.write_bytes(data)
        emit(as_json, {"key": key, "file": str(output), "bytes": len(data), "sha256": digest},
             lambda: out.print(f"{output}: {len(data):,} bytes, sha256 {digest} (matches metadata)"))

    run(as_json, body)


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
    from motcua.services.audit import audit

    # pyHanko logs every failed certificate check with a traceback; the report says it in words.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    def body() -> int:
        report = audit(settings(), target)
        emit(as_json, report.to_json(), lambda: _print_audit(target, report))
        return report.exit_code

    run(as_json, body)


def _print_audit(target: str, report) -> None:
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
            label = d.archive_key + (" (result)" if (d.recorded or {}).get("kind") == "result" else "")
            table.add_row(label if i == 0 else "", c.name, MARKS[c.status], c.detail)
        for i, s in enumerate(d.signatures):
            rev = s.revocation
            sigs.add_row(
                d.document_id if i == 0 else "", str(i + 1), s.field_name, s.level,
                MARKS["ok" if s.verdict == "valid" else "failed" if s.verdict == "invalid" else "indeterminate"],
                s.signer_subject, "trusted" if s.trusted else (s.chain_problem.code if s.chain_problem else "-"),
                f"{rev.status} ({rev.source})",
                f"{s.timestamp_time:%Y-%m-%d %H:%M:%S}" if s.timestamp_time else "-",
                f"{s.coverage} / {s.modification_level}")
    out.print(table)
    if any(d.signatures for d in report.documents):
        out.print(sigs)
    if any(d.submitted for d in report.documents):
        arrived = Table(title="signatures the submitted file carried, judged on arrival")
        for col in ("document", "#", "signer", "level", "verdict", "intact", "chain", "signed at"):
            arrived.add_column(col, overflow="fold")
        for d in report.documents:
            for v in d.submitted:
                arrived.add_row(d.document_id, str(v.position), v.signer, v.level,
                                MARKS["ok" if v.verdict == "valid" else "failed" if v.verdict == "invalid" else "indeterminate"],
                                "yes" if v.intact else "[red]NO[/red]",
                                "trusted" if v.trusted else f"not trusted ({v.chain_problem or 'unknown CA'})",
                                f"{v.signing_time:%Y-%m-%d %H:%M:%S}" if v.signing_time else "-")
        out.print(arrived)
    if not report.documents:
        out.print("[red]no archived document found[/red]")
    out.print({"ok": "[green]all checks hold[/green]", "failed": "[red]some checks failed[/red]",
               "indeterminate": "[yellow]nothing failed, but something could not be decided now: run again later[/yellow]"}[report.status])


@app.command()
def fixity(
    renew_within_days: Annotated[int, typer.Option(min=0, help="Renew B-LTA timestamps whose TSA certificate expires within this many days.")] = 365,
    as_json: JsonOpt = False,
) -> None:
    """Run the fixity audit now: every archived document verified, B-LTA timestamps renewed.

    Exits 0 if every document is ok, 1 if one failed, 4 if one could not be decided now.
    """
    from motcua.flows.launch import run_fixity

    def body() -> int:
        s = settings()
        ensure_stack(s)
        result = run_fixity(s, renew_within_days=renew_within_days)

        def human() -> None:
            out.print(f"{result.checked} archived document(s) checked: {result.ok} ok, "
                      f"{result.failed} failed, {result.indeterminate} indeterminate, "
                      f"{result.renewed} timestamp(s) renewed")
            for d in result.documents:
                extra = ", ".join(d.failed_checks) or ("renewed" if d.renewed else d.note or "")
                out.print(f"  {d.archive_key}: {d.status} {extra}")
            out.print(f"report: {s.reports_bucket}/{result.report_key}")

        emit(as_json, result.to_json(), human)
        if result.failed:
            return ExitCode.FAILED
        return ExitCode.UNDECIDED if result.indeterminate else ExitCode.OK

    run(as_json, body)
