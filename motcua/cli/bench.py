"""`motcua bench | bench-sign`: speed measured against a baseline taken in the same run."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from motcua.cli.base import JsonOpt, app, emit, ensure_stack, out, run, say, settings


@app.command()
def bench(
    pages: Annotated[int, typer.Option(min=1, help="Pages to process.")] = 20,
    pages_per_document: Annotated[int, typer.Option(min=1, help="Pages per document.")] = 5,
    dpi: Annotated[int, typer.Option(min=100, max=600)] = 300,
    service: Annotated[bool, typer.Option(
        "--service", help="Measure the running service instead: dossiers dropped into intake "
        "(latency of 1 and 10 pages, throughput of 20 dossiers), against raw Tesseract.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Full pipeline vs raw `tesseract -l vie` on the same pages, measured in the same run."""
    if service:
        _bench_service(dpi, as_json)
        return
    from motcua.benchmarks.pipeline import run_bench

    def body() -> None:
        s = settings()
        ensure_stack(s)
        result = run_bench(s, pages=pages, pages_per_document=pages_per_document, dpi=dpi, say=say)

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
            ] + [(f"step {k} (s, summed)", f"{v:.2f}") for k, v in result.step_seconds.items()] + [
                ("born-digital: same text as PDFs that carry it (s)", f"{result.born_digital_seconds:.2f}"),
                ("scan path: scan+ocr+assemble per page (ms)", f"{result.scan_path_ms_per_page:.1f}"),
                ("born-digital path per page (ms)", f"{result.born_digital_path_ms_per_page:.1f}"),
                ("born-digital / scan, path per page (goal <= 0.05)", f"{result.path_ratio:.4f}"),
                ("born-digital / scan, dossier wall time per page", f"{result.wall_ratio:.4f}"),
                ("born-digital documents archived", f"{result.born_digital_archived}/{result.documents}"),
            ]
            for row in rows:
                table.add_row(*row)
            out.print(table)

        emit(as_json, result.to_json(), human)

    run(as_json, body)


def _bench_service(dpi: int, as_json: bool) -> None:
    from motcua.benchmarks.service import run_service_bench

    def body() -> None:
        s = settings()
        ensure_stack(s)
        result = run_service_bench(s, dpi=dpi, say=say)

        def human() -> None:
            table = Table(title=f"motcua bench --service: {result.workers} core(s), {result.dpi} dpi")
            table.add_column("measure")
            table.add_column("raw tesseract (s)", justify="right")
            table.add_column("service (s)", justify="right")
            table.add_column("goal", justify="right")
            one, ten = result.one_page, result.ten_pages
            table.add_row("1-page dossier: dossier.json → archived", f"{one.raw_seconds:.2f}",
                          f"{one.seconds:.2f}", f"<= {one.raw_seconds + 1.5:.2f}")
            table.add_row("  of which: to round opened / to worker / run", "",
                          f"{one.to_round_seconds:.2f} / {one.to_worker_seconds:.2f} / {one.run_seconds:.2f}", "")
            table.add_row("10-page dossier", f"{ten.raw_seconds:.2f}", f"{ten.seconds:.2f}", "<= 10")
            table.add_row(f"{result.throughput_dossiers} dossiers, {result.throughput_pages} pages at once",
                          f"{result.throughput_raw_seconds:.2f}", f"{result.throughput_seconds:.2f}", "")
            table.add_row("throughput ratio", "", f"{result.throughput_ratio:.3f}", "<= 1.15 (1.3)")
            table.add_row("1-page dossier as a deployment run (runner, fresh process)", "",
                          f"{result.by_hand_deployment_seconds}", "")
            table.add_row("warm-up dossier (not counted)", "", f"{result.warmup_seconds:.2f}", "")
            out.print(table)

        emit(as_json, result.to_json(), human)

    run(as_json, body)


@app.command("bench-sign")
def bench_sign(
    documents: Annotated[int, typer.Option(min=2, help="Documents per level.")] = 20,
    pages: Annotated[int, typer.Option(min=1, help="Pages per document.")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Signing throughput at B-B, B-T, B-LT (one process, one per core) against pyHanko's CLI
    on the same files, with size overhead per level."""
    from motcua.benchmarks.signing import run_sign_bench

    def body() -> None:
        s = settings()
        ensure_stack(s)
        result = run_sign_bench(s, documents=documents, pages=pages, say=say)

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

        emit(as_json, result.to_json(), human)

    run(as_json, body)
