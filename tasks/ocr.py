"""The `ocr` step as a Prefect task: all pages of one document, in parallel inside the task.
A page Tesseract cannot read twice is a :class:`Rejected` outcome (quarantine), not an
exception."""

from __future__ import annotations

from prefect import get_run_logger

from motcua.core.ocr import OcrOptions, PageText, ocr_pages
from motcua.core.scan import ScannedDocument
from motcua.errors import BadInput
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef, Rejected, recorded_step


def ocr_step(settings: Settings, doc: DocumentRef, scanned: ScannedDocument) -> list[PageText] | Rejected:
    logger = get_run_logger()

    def progress(done: int, total: int) -> None:
        if total > 1:
            logger.info("%s: page %d/%d read", doc.source_name, done, total)

    try:
        with recorded_step(settings, doc, "ocr"):
            texts = ocr_pages(scanned.pages, OcrOptions.from_settings(settings), progress=progress)
    except BadInput as exc:
        return Rejected(exc, "ocr")
    confs = [t.confidence for t in texts if t.confidence is not None]
    logger.info("%s: mean confidence %.1f over %d page(s)", doc.source_name,
                sum(confs) / len(confs) if confs else 0.0, len(texts))
    return texts
