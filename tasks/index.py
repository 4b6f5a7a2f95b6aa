"""The `index` step as a Prefect task: type, identifiers, the reuse index and the search copy.

The reuse entry keys the archived document by the applicant's id (CCCD or tax code) and its
document type, so the next dossier of the same applicant can take the paper from the archive
instead of asking for it again (the plan's 30% → 80% target). The text and its search copies
(motcua/core/searchtext.py) go in the same transaction, so an indexed document is searchable.

It is the last step of an archived document, so it returns the document's outcome, read in its
own session (no second look at the row).
"""

from __future__ import annotations

import datetime as dt

from prefect import get_run_logger

from motcua.core.classify import classify
from motcua.core.extract import extract_identifiers
from motcua.core.searchtext import folded_words, words
from motcua.core.validity import read_validity, valid_until
from motcua.doc_types import taxonomy
from motcua.outcomes import DocumentOutcome
from motcua.settings import Settings
from motcua.storage import repository
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.text import clean
from motcua.times import VN_TZ, utcnow, vn_date


def index_step(settings: Settings, doc: DocumentRef, text: str, *,
               already_archived: bool = False) -> DocumentOutcome:
    """Index ``text`` (the archived OCR text); marks the document indexed in the same
    transaction, so a run that stopped after archiving indexes it next time."""
    subject = doc.dossier.applicant_id
    types = taxonomy(settings.doc_types_file)
    with recorded_step(settings, doc, "index") as step:
        doc_type = doc.doc_type or classify(text, types)
        identifiers = [(i.kind, i.value) for i in extract_identifiers(text)]
        row, count = repository.mark_indexed(step.session, document_pk=doc.pk, doc_type=doc_type,
                                             identifiers=identifiers, reuse_subject=subject,
                                             reuse=_reuse_facts(text, types.get(doc_type)))
        repository.store_text(step.session, document_pk=doc.pk, body=clean(text),
                              words=" ".join(words(text)), folded=" ".join(folded_words(text)))
        steps = repository.steps_of(step.session, document_pk=doc.pk)
    get_run_logger().info("%s: type %s, %d identifier(s)%s", doc.source_name, doc_type, count,
                          f", reusable for {subject[:3]}…" if subject else "")
    return DocumentOutcome.of(row, steps, already=already_archived)


def _reuse_facts(text: str, doc_type) -> repository.ReuseFacts:
    """Number, issuer, issue date and end of validity: as the text states them, else the type's
    typical validity from the issue date (a type unknown to the taxonomy: no end)."""
    found = read_validity(text)
    last_day = valid_until(found, doc_type.validity_years if doc_type else None, vn_date(utcnow()))
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59), VN_TZ) if last_day else None
    return repository.ReuseFacts(number=found.number, issuer=found.issuer, issued_on=found.issued_on,
                                 valid_to=end, valid_to_stated=found.valid_to is not None)
