"""The `index` step as a Prefect task: identifiers and the reuse index.

The reuse entry keys the archived document by the applicant's id (CCCD or tax code) and its
document type, so the next dossier of the same applicant can take the paper from the archive
instead of asking for it again (the plan's 30% → 80% target).

It is the last step of an archived document, so it returns the document's outcome, read in its
own session (no second look at the row).
"""

from __future__ import annotations

from prefect import get_run_logger

from motcua.core.extract import classify_document, extract_identifiers
from motcua.outcomes import DocumentOutcome
from motcua.settings import Settings
from motcua.storage import repository
from motcua.tasks.context import DocumentRef, recorded_step


def index_step(settings: Settings, doc: DocumentRef, text: str, *,
               already_archived: bool = False) -> DocumentOutcome:
    """Index ``text`` (the archived OCR text); marks the document indexed in the same
    transaction, so a run that stopped after archiving indexes it next time."""
    subject = doc.dossier.applicant_id
    with recorded_step(settings, doc, "index") as step:
        doc_type = doc.doc_type or classify_document(text)
        identifiers = [(i.kind, i.value) for i in extract_identifiers(text)]
        row, count = repository.mark_indexed(step.session, document_pk=doc.pk, doc_type=doc_type,
                                             identifiers=identifiers, reuse_subject=subject)
        steps = repository.steps_of(step.session, document_pk=doc.pk)
    get_run_logger().info("%s: type %s, %d identifier(s)%s", doc.source_name, doc_type, count,
                          f", reusable for {subject[:3]}…" if subject else "")
    return DocumentOutcome.of(row, steps, already=already_archived)
