"""Reuse: never ask a citizen for a paper the state already holds (the plan's 30% → 80%).

``find`` lists every archived paper of an applicant (components they handed in and the agency's
own results alike), with what the paper says about itself (number, issuer, issue date, end of
validity: motcua/core/validity.py) and whether it may be reused now. A paper is *not* reusable
when it has expired (its stated end, else its type's typical validity, is past) or is
*superseded* (a newer paper of a type a subject holds one at a time, such as a citizen ID).
``use`` records that a dossier took a held paper instead of asking for it (a ``ReuseEvent``, what
the reuse KPI counts), after checking that the paper exists, belongs to the dossier's applicant
and is reusable; a refusal records nothing (:class:`ReuseRefused`, exit 2).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from motcua.doc_types import check_type, taxonomy
from motcua.errors import BadArguments, ReuseRefused, UnknownDossier
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session
from motcua.text import clean
from motcua.times import VN_TZ, utcnow

SOURCES = ("local", "national")


def _judged(settings: Settings, rows) -> list[dict[str, Any]]:
    """Each held paper as JSON, with ``reusable`` and, when it is not, ``why_not``."""
    types, now, newest_single = taxonomy(settings.doc_types_file), utcnow(), set()
    out = []
    for entry, doc, dossier in rows:  # newest issue first
        why_not = None
        if entry.valid_to is not None and entry.valid_to < now:
            why_not = "expired"
        elif types.get(entry.doc_type) is not None and types[entry.doc_type].single:
            if entry.doc_type in newest_single:
                why_not = "superseded"
            newest_single.add(entry.doc_type)
        out.append({
            "document_id": doc.document_id, "type": entry.doc_type,
            "type_name": types[entry.doc_type].name if entry.doc_type in types else None,
            "number": entry.number, "issuer": entry.issuer,
            "issued_on": entry.issued_on.isoformat() if entry.issued_on else None,
            "valid_to": entry.valid_to.astimezone(VN_TZ).date().isoformat() if entry.valid_to else None,
            "valid_to_stated": entry.valid_to_stated, "dossier": dossier.code, "kind": doc.kind,
            "archive_key": doc.archive_key, "signature_level": doc.signature_level,
            "signed_at": doc.signed_at.isoformat() if doc.signed_at else None,
            "reusable": why_not is None, "why_not": why_not,
        })
    return out


def find(settings: Settings, subject: str, doc_type: str | None = None) -> list[dict[str, Any]]:
    """Every archived paper of ``subject`` (CCCD or tax code), of ``doc_type`` if given."""
    subject = clean(subject).strip()
    if not subject:
        raise BadArguments("the subject is empty", hint="--subject CCCD_OR_TAX_CODE")
    doc_type = check_type(doc_type, settings.doc_types_file)
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        rows = repository.held_papers(session, subject_id=subject, doc_type=None)
    judged = _judged(settings, rows)  # superseding is judged over every paper, then filtered
    return [p for p in judged if doc_type is None or p["type"] == doc_type]


def use(settings: Settings, dossier_code: str, document_id: str, *, component: str | None = None,
        source: str = "local", officer: str | None = None) -> dict[str, Any]:
    """Record that ``dossier_code`` reused the held paper ``document_id``."""
    if source not in SOURCES:
        raise BadArguments(f"source {source!r} is not one of {', '.join(SOURCES)}", hint="--source local")
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        dossier = repository.get_dossier(session, code=dossier_code)
        if dossier is None:
            raise UnknownDossier(f"no dossier {dossier_code!r}", hint="reuse is recorded for a registered dossier")
        held = repository.held_paper(session, document_id=document_id)
        if held is None:
            raise ReuseRefused(f"no document {document_id!r} in the archive",
                               hint="motcua reuse find --subject ID lists the applicant's papers")
        entry, doc, origin = held
        if entry is None or doc.status != "archived":
            raise ReuseRefused(f"document {document_id} is not an archived paper of a known applicant",
                               hint="only archived, indexed papers of an applicant can be reused")
        if not dossier.applicant_id:
            raise ReuseRefused(f"dossier {dossier_code} names no applicant",
                               hint="its dossier.json must give applicant.id")
        if entry.subject_id != dossier.applicant_id:
            raise ReuseRefused(f"document {document_id} belongs to another applicant",
                               hint=f"dossier {dossier_code} is {dossier.applicant_id[:3]}…'s")
        (judged,) = [p for p in _judged(settings, repository.held_papers(
            session, subject_id=entry.subject_id)) if p["document_id"] == document_id]
        if not judged["reusable"]:
            raise ReuseRefused(f"document {document_id} is {judged['why_not']} "
                               f"(valid to {judged['valid_to'] or '–'})",
                               hint="ask the applicant for a current paper")
        name = clean(component).strip() if component else (entry.doc_type)
        try:
            event = repository.add_reuse_event(session, dossier_pk=dossier.id, document_pk=doc.id,
                                               component=name, source=source,
                                               officer=clean(officer).strip() if officer else None,
                                               at=utcnow())
            session.commit()
        except IntegrityError:
            session.rollback()
            raise ReuseRefused(f"dossier {dossier_code} already reuses {document_id} for {name!r}",
                               hint="nothing to do", code="reuse_recorded") from None
        return {"dossier": dossier.code, "document_id": doc.document_id, "component": event.component,
                "source": event.source, "from_dossier": origin.code, "archive_key": doc.archive_key,
                "at": event.at.astimezone(VN_TZ).isoformat(timespec="seconds")}
