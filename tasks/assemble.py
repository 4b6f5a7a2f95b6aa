"""The `assemble` step as a Prefect task."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from motcua.core.assemble import AssembledPdf, assemble_pdf
from motcua.core.ocr import PageText
from motcua.core.scan import ScannedDocument
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.times import utcnow


@task(name="assemble", task_run_name="assemble/{doc.source_name}", cache_policy=NO_CACHE)
def assemble_step(settings: Settings, doc: DocumentRef, scanned: ScannedDocument,
                  texts: list[PageText]) -> AssembledPdf:
    with recorded_step(settings, doc, "assemble"):
        title = doc.title or f"{doc.dossier.code} — {doc.source_name}"
        return assemble_pdf(scanned.pages, texts, doc.work_dir / "searchable.pdf",
                            title=title, created=utcnow())
