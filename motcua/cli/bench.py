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
    as_json: JsonOpt = False,
) -> None:
    """Full pipeline vs raw `tesseract -l vie` on the same pages, measured in the same run."""
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
