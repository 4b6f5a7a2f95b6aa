"""The `archive` step as a Prefect task: signed PDF, text and manifest under object lock.

The document row says ``archived`` only after S3 confirmed all three objects (hash, size and
COMPLIANCE retention read back); a crash before that leaves the row as it was and the next run
adopts the objects already written (storage/archive.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

from prefect import get_run_logger

from motcua.core.assemble import document_text
from motcua.core.ocr import PageText
from motcua.core.scan import ScannedDocument
from motcua.errors import ArchiveIntegrityError
from motcua.outcomes import SignatureVerdict
from motcua.settings import Settings
from motcua.signing.factory import trust_roots
from motcua.signing.pades import SignResult
from motcua.signing.verify import verify_pdf
from motcua.storage import archive, repository
from motcua.storage.models import Document
from motcua.storage.s3 import make_client
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.tasks.policies import retried
from motcua.times import utcnow


def _pages(scanned: ScannedDocument, texts: list[PageText]) -> list[dict]:
    """One entry per archived page: how its text was obtained (``ocr`` from the scan, ``text``
    extracted from a digital page) and, for scanned pages, dpi and what was done to the image."""
    by_index = {t.index: t for t in texts}
    entries = {p.index: {
        "index": p.index + 1, "source": "ocr", "dpi": p.dpi, "low_dpi": "low_dpi" in p.flags,
        "dpi_assumed": "dpi_assumed" in p.flags, "width": p.width, "height": p.height,
        "rotation": (p.rotation + by_index[p.index].turned) % 360, "skew": p.skew,
        "flags": list(p.flags), "ocr_confidence": by_index[p.index].confidence,
        "words": by_index[p.index].words,
    } for p in scanned.pages}
    for index, text in (scanned.digital.texts if scanned.digital else ()):
        entries[index] = {"index": index + 1, "source": "text", "characters": len(text)}
    return [entries[i] for i in sorted(entries)]


def _input(scanned: ScannedDocument, arrived: list[SignatureVerdict]) -> dict:
    digital = scanned.digital
    return {
        "kind": digital.kind if digital else "scan",
        "signed": bool(digital and digital.signed),
        "active_content_removed": list(digital.active_content_removed) if digital else [],
        "signatures_at_arrival": [v.to_json() for v in arrived],
    }


def _manifest(doc: DocumentRef, scanned: ScannedDocument, texts: list[PageText],
              signed: SignResult, pdf: archive.StoredObject, keys: archive.ArchiveKeys, txt_sha: str,
              retain_until: dt.datetime, steps: list, arrived: list[SignatureVerdict]) -> bytes:
    return json.dumps({
        "document_id": doc.document_id,
        "dossier": doc.dossier.code,
        "agency": {"code": doc.dossier.agency_code, "name": doc.dossier.agency_name},
        "kind": doc.kind,
        "title": doc.title,
        "source": {"name": doc.source_name, "intake_key": doc.source_key, "sha256": doc.sha256,
                   "bytes": scanned.size_bytes, "media_type": scanned.media_type},
        "input": _input(scanned, arrived),
        "pages": _pages(scanned, texts),
        "pdf": {"key": keys.pdf, "sha256": pdf.sha256, "bytes": pdf.size},
        "text": {"key": keys.txt, "sha256": txt_sha},
        "signature": {"level": signed.level, "signer": signed.signer_subject,
                      "signed_at": signed.signing_time.isoformat()},
        "retain_until": retain_until.isoformat(),
        "steps": [{"step": s.step, "status": s.status, "attempt": s.attempt,
                   "started_at": s.started_at.isoformat(),
                   "finished_at": s.finished_at.isoformat() if s.finished_at else None}
                  for s in steps],
    }, ensure_ascii=False, indent=2).encode()


def _stored_signature(settings: Settings, client, bucket: str, stored: archive.StoredObject,
                      ours: SignResult) -> SignResult:
    """The signature facts of a PDF an earlier run archived (its bytes checked against their
    recorded hash), so the row and manifest describe what is archived, not what we just made."""
    data = archive.get_bytes(client, bucket, stored.key, version_id=stored.version_id)
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise ArchiveIntegrityError(f"{stored.key}: the bytes do not match their recorded SHA-256",
                                    hint="run `motcua audit verify` on the dossier")
    signatures = verify_pdf(data, trust_roots=trust_roots(settings), allow_fetching=False).signatures
    if not signatures:
        raise ArchiveIntegrityError(f"{stored.key} holds no signature")
    last = signatures[-1]
    return dataclasses.replace(ours, level=last.level, signer_subject=last.signer_subject,
                               signing_time=last.signing_time or ours.signing_time,
                               sha256=stored.sha256, size_bytes=stored.size)


def archive_step(settings: Settings, doc: DocumentRef, scanned: ScannedDocument,
                 texts: list[PageText], signed: SignResult) -> Document:
    """Put the three objects under lock and mark the document archived; retried while S3 is
    out of reach (each attempt a step event; objects already written are adopted)."""
    client = make_client(settings, "pipeline")
    bucket = settings.archive_bucket
    keys = archive.ArchiveKeys.for_document(
        agency_code=doc.dossier.agency_code, year=doc.dossier.year,
        dossier_code=doc.dossier.code, document_id=doc.document_id,
    )
    retain_until = utcnow() + dt.timedelta(days=settings.archive_retention_days)

    def attempt() -> tuple[Document, archive.StoredObject]:
        with recorded_step(settings, doc, "archive") as step:
            pdf = archive.put_locked(client, bucket, keys.pdf, signed.path.read_bytes(),
                                     content_type="application/pdf", retain_until=retain_until,
                                     metadata={"dossier": doc.dossier.code, "document": doc.document_id})
            # an earlier run archived it and crashed: describe what S3 holds
            held = _stored_signature(settings, client, bucket, pdf, signed) if pdf.existed else signed
            text = document_text(scanned, texts).encode()
            txt = archive.put_locked(client, bucket, keys.txt, text, content_type="text/plain; charset=utf-8",
                                     retain_until=retain_until)
            steps = repository.steps_of(step.session, document_pk=doc.pk)
            arrived = repository.submitted_signatures(step.session, document_pk=doc.pk)
            body = _manifest(doc, scanned, texts, held, pdf, keys, txt.sha256 or hashlib.sha256(text).hexdigest(),
                             pdf.retain_until or retain_until, steps, arrived)
            archive.put_locked(client, bucket, keys.manifest, body, content_type="application/json",
                               retain_until=retain_until)
            confs = [t.confidence for t in texts if t.confidence is not None]
            row = repository.mark_archived(step.session, document_pk=doc.pk, facts=repository.ArchivedFacts(
                media_type=scanned.media_type, pages=scanned.page_count,
                ocr_confidence=round(sum(confs) / len(confs), 2) if confs else None,
                flags=",".join(scanned.flags + (("signature_broken",) if any(
                    not v.intact for v in arrived) else ())), signature_level=held.level,
                signer=held.signer_subject, signed_at=held.signing_time,
                archive_key=keys.pdf, version_id=pdf.version_id,
                # the hash of what S3 holds: ours, or the one a crashed earlier run already wrote
                sha256=pdf.sha256, size_bytes=pdf.size, retain_until=pdf.retain_until,
            ))
        return row, pdf

    row, pdf = retried(attempt)
    get_run_logger().info("%s: archived at %s%s", doc.source_name, keys.pdf,
                          " (already there)" if pdf.existed else "")
    return row
