"""The `assemble` step as a Prefect task: a searchable PDF built from the scan, or the submitted
digital PDF kept as it is with text layers on its image pages."""

from __future__ import annotations

from motcua.core.assemble import AssembledPdf, assemble_digital, assemble_pdf
from motcua.core.ocr import PageText
from motcua.core.scan import ScannedDocument
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.times import utcnow


def assemble_step(settings: Settings, doc: DocumentRef, scanned: ScannedDocument,
                  texts: list[PageText]) -> AssembledPdf:
    with recorded_step(settings, doc, "assemble"):
        out = doc.work_dir / "searchable.pdf"
        if scanned.digital is not None:
            return assemble_digital(scanned.digital, scanned.pages, texts, out)
        title = doc.title or f"{doc.dossier.code} — {doc.source_name}"
        return assemble_pdf(scanned.pages, texts, out, title=title, created=utcnow())
