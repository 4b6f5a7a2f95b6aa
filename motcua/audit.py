"""`motcua audit verify`: is what the archive holds still what was signed and recorded?

Run with the ``auditor`` identity (read-only). For every archived document of a dossier (or one
archive key) it checks, and reports each check separately so a script can tell *what* failed:

- ``signature``: the PAdES signature is intact, valid, and covers the whole file;
- ``chain``: the signer's chain ends in a configured trust root;
- ``level``: the PAdES level found is the one recorded when it was signed;
- ``fixity``: SHA-256 of the downloaded bytes = object metadata = database;
- ``version``: the object's current version is the one archived (nothing was written over it);
- ``retention``: the object is under COMPLIANCE retention that has not expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass

from sqlmodel import Session, select

from motcua.errors import ConfigurationError
from motcua.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class DocumentAudit:
    archive_key: str
    document_id: str
    source: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True)
class AuditReport:
    target: str
    documents: list[DocumentAudit]

    @property
    def ok(self) -> bool:
        return bool(self.documents) and all(d.ok for d in self.documents)

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "ok": self.ok,
            "documents": [
                {"archive_key": d.archive_key, "document_id": d.document_id, "source": d.source,
                 "ok": d.ok, "checks": [asdict(c) for c in d.checks]}
                for d in self.documents
            ],
        }


def _documents(settings: Settings, target: str):
    from motcua.storage import repository
    from motcua.storage.db import make_engine, migrate
    from motcua.storage.models import Document

    migrate(settings.db_url)
    with Session(make_engine(settings.db_url)) as session:
        if "/" in target and target.endswith(".pdf"):
            row = repository.get_document_by_key(session, archive_key=target)
            rows = [row] if row else []
        else:
            dossier = repository.get_dossier(session, code=target)
            if dossier is None:
                raise ConfigurationError(f"no dossier {target!r} in the database",
                                         hint="give a dossier code or an archive key (…/x.pdf)")
            rows = list(session.exec(select(Document).where(
                Document.dossier_id == dossier.id, Document.status == "archived")))
        for row in rows:
            session.expunge(row)
        return rows


def audit(settings: Settings, target: str) -> AuditReport:
    from motcua.signing.factory import trust_roots
    from motcua.signing.verify import verify_pdf
    from motcua.storage import archive
    from motcua.storage.s3 import make_client

    client = make_client(settings, "auditor")
    roots = trust_roots(settings)
    results = []
    for doc in _documents(settings, target):
        checks: list[Check] = []
        info = archive.stat(client, settings.archive_bucket, doc.archive_key)
        if info is None:
            checks.append(Check("present", False, "the object is missing from the archive"))
            results.append(DocumentAudit(doc.archive_key, doc.document_id, doc.source_name, checks))
            continue
        data = archive.get_bytes(client, settings.archive_bucket, doc.archive_key)
        actual = hashlib.sha256(data).hexdigest()
        hashes = {"bytes": actual, "metadata": info.sha256, "database": doc.sha256}
        checks.append(Check("fixity", len(set(hashes.values())) == 1,
                            ", ".join(f"{k} {v[:16] if v else None}…" for k, v in hashes.items())))
        if doc.archive_version_id and info.version_id:
            same = info.version_id == doc.archive_version_id
            checks.append(Check("version", same, "current version is the archived one" if same
                                else f"version {info.version_id} was written over {doc.archive_version_id}"))
        now = dt.datetime.now(dt.UTC)
        locked = info.retention_mode == "COMPLIANCE" and info.retain_until is not None and info.retain_until > now
        checks.append(Check("retention", locked,
                            f"{info.retention_mode or 'no lock'} until {info.retain_until.isoformat() if info.retain_until else '-'}"))
        report = verify_pdf(data, trust_roots=roots)
        sigs = report.signatures
        first = sigs[0] if sigs else None
        checks.append(Check(
            "signature",
            bool(first) and first.intact and first.valid and first.covers_entire_file,
            "; ".join(report.problems) or f"intact, valid, covers the whole file, signer {first.signer_subject}"
            if first else "no signature"))
        checks.append(Check("chain", bool(first) and first.trusted,
                            "chains to a trust root" if first and first.trusted else "untrusted or unknown signer"))
        level = first.level if first else None
        checks.append(Check("level", level == doc.signature_level,
                            f"found {level}, recorded {doc.signature_level}"))
        results.append(DocumentAudit(doc.archive_key, doc.document_id, doc.source_name, checks))
    return AuditReport(target=target, documents=results)
