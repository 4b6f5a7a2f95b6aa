"""The `ocr` step as a Prefect task: all pages of one document, in parallel inside the task."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from motcua.core.ocr import OcrOptions, PageText, ocr_pages
from motcua.core.scan import ScannedDocument
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef, recorded_step


@task(name="ocr", task_run_name="ocr/{doc.source_name}", cache_policy=NO_CACHE)
def ocr_step(settings: Settings, doc: DocumentRef, scanned: ScannedDocument) -> list[PageText]:
    logger = get_run_logger()

    def progress(done: int, total: int) -> None:
        if total > 1:
            logger.info("%s: page %d/%d read", doc.source_name, done, total)

    with recorded_step(settings, doc, "ocr"):
        texts = ocr_pages(scanned.pages, OcrOptions.from_settings(settings), progress=progress)
    confs = [t.confidence for t in texts if t.confidence is not None]
    logger.info("%s: mean confidence %.1f over %d page(s)", doc.source_name,
                sum(confs) / len(confs) if confs else 0.0, len(texts))
    return texts
