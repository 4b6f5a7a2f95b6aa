"""The fixity audit of one archived document, and the renewal of a B-LTA timestamp in time.

Verification is the auditor's (:mod:`motcua.services.audit`, read-only identity). Renewal
(:mod:`motcua.signing.renewal`) writes the file with a new document timestamp as a **new version**
of the archived object with the ``pipeline`` identity: object lock keeps the old version, the
database records the new one. Only documents that passed the audit are renewed (the caller's
rule): a renewal must never launder a tampered file.
"""

from __future__ import annotations

import datetime as dt

from motcua.outcomes import DocumentFixity, FixityResult
from motcua.services.audit import audit
from motcua.settings import Settings
from motcua.signing.factory import agency_signer
from motcua.signing.renewal import renew_archival_timestamp, timestamp_chain
from motcua.storage import archive, reports, repository
from motcua.storage.db import migrate, open_session
from motcua.storage.s3 import make_client
from motcua.times import utcnow


def archived_keys(settings: Settings) -> list[tuple[str, str | None]]:
    """(archive key, signature level) of every archived document, oldest first."""
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        rows = repository.archived_documents(session)
    return [(r.archive_key, r.signature_level) for r in rows if r.archive_key]


def verify(settings: Settings, archive_key: str) -> DocumentFixity:
    report = audit(settings, archive_key)
    (doc,) = report.documents
    return DocumentFixity(archive_key=archive_key, status=doc.status,
                          failed_checks=[c.name for c in doc.checks if not c.ok])


def renew_if_due(settings: Settings, archive_key: str, within_days: int) -> DocumentFixity:
    """Add a document timestamp if the last one's TSA certificate expires within the window."""
    client = make_client(settings, "pipeline")
    with open_session(settings.db_url) as session:
        row = repository.get_document_by_key(session, archive_key=archive_key)
    if row is None:
        raise LookupError(f"no archived document {archive_key!r} in the database")
    data = archive.get_bytes(client, settings.archive_bucket, archive_key, row.archive_version_id)
    chain = timestamp_chain(data)
    expires = chain.tsa_expires_at.isoformat() if chain.tsa_expires_at else None
    if not chain.due(utcnow(), dt.timedelta(days=within_days)):
        return DocumentFixity(archive_key=archive_key, status="ok", tsa_expires_at=expires)
    signer = agency_signer(settings)
    if signer.tsa_url is None:
        return DocumentFixity(archive_key=archive_key, status="ok", tsa_expires_at=expires,
                              note="renewal due but no TSA is configured")
    started = utcnow()
    renewed = renew_archival_timestamp(data, tsa_url=signer.tsa_url,
                                       validation_context=signer.validation_context())
    stored = archive.put_new_version(
        client, settings.archive_bucket, archive_key, renewed,
        replaces_version=row.archive_version_id, content_type="application/pdf",
        retain_until=utcnow() + dt.timedelta(days=settings.archive_retention_days),
        metadata={"renews": row.sha256 or ""},
    )
    with open_session(settings.db_url) as session:
        repository.record_renewal(session, document_pk=row.id, sha256=stored.sha256,
                                  size_bytes=stored.size, version_id=stored.version_id,
                                  retain_until=stored.retain_until, started_at=started)
        session.commit()
    new_chain = timestamp_chain(renewed)
    return DocumentFixity(
        archive_key=archive_key, status="ok", renewed=True,
        tsa_expires_at=new_chain.tsa_expires_at.isoformat() if new_chain.tsa_expires_at else None,
    )


def write_report(settings: Settings, result: FixityResult) -> str:
    """The audit's JSON report in the reports bucket, ``fixity/<UTC time>.json``; its key."""
    key = f"fixity/{utcnow():%Y%m%dT%H%M%SZ}.json"
    return reports.put_json(make_client(settings, "pipeline"), settings.reports_bucket, key,
                            result.to_json())
