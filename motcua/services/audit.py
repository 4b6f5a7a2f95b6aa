"""`motcua audit verify`: is what the archive holds still what was signed and recorded?

Run with the ``auditor`` identity (read-only). For every archived document of a dossier (or one
archive key) it reports each check separately, so a script can tell *what* failed:

- ``signature``: motcua's signature — the **last** one in the file — is intact, valid, PAdES,
  covers the whole file (PAdES long-term updates aside), and its timestamps hold;
- ``chain``: that signature's chain ends in a configured trust root and is not revoked, judged
  by the policy of its level (signing/revocation.py; docs/archive.md "Verifying");
- ``level``: the PAdES level found is the one recorded when it was signed;
- ``fixity``: SHA-256 of the downloaded bytes = object metadata = database;
- ``version``: the object's current version is the one archived (nothing was written over it);
- ``retention``: the object is under COMPLIANCE retention that has not expired.

Every signature in the file is reported in full (level, signer, chain, times, revocation and
where its evidence came from, coverage); earlier ones — the submitter's — are not judged.

Each check, document and the whole report is ``ok``, ``failed`` or ``indeterminate`` (nothing
failed, but a B-B/B-T signature's revocation status could not be obtained now).
:data:`EXIT_CODES` maps that to the command's exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from motcua.errors import ConfigurationError, ExitCode, TransientError
from motcua.outcomes import SignatureVerdict
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session

Status = Literal["ok", "failed", "indeterminate"]
EXIT_CODES: dict[Status, int] = {
    "ok": ExitCode.OK, "failed": ExitCode.FAILED, "indeterminate": ExitCode.UNDECIDED}
"""0 every check holds; 1 some check failed; 4 nothing failed but something could not be
decided now (run again later). Configuration and stack errors exit 3 (ConfigurationError)."""


class ArchiveUnreachable(ConfigurationError):
    """S3 stopped answering during the audit: nothing was judged."""

    code = "archive_unreachable"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "status": self.status, "detail": self.detail}


def _combined(statuses: list[Status]) -> Status:
    if "failed" in statuses:
        return "failed"
    return "indeterminate" if "indeterminate" in statuses else "ok"


@dataclass(frozen=True)
class DocumentAudit:
    archive_key: str
    document_id: str
    source: str
    checks: list[Check]
    signatures: tuple[Any, ...] = ()
    """:class:`~motcua.signing.report.SignatureReport` of every signature, signing order."""
    recorded: dict[str, Any] | None = None
    submitted: tuple[SignatureVerdict, ...] = ()
    """The signatures the file carried when it was submitted, as judged on arrival."""

    @property
    def status(self) -> Status:
        return _combined([c.status for c in self.checks])

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        last = len(self.signatures) - 1
        return {
            "archive_key": self.archive_key, "document_id": self.document_id,
            "kind": (self.recorded or {}).get("kind"),
            "source": self.source, "ok": self.ok, "status": self.status,
            "recorded": self.recorded,
            "submitted_signatures": [v.to_json() for v in self.submitted],
            "checks": [c.to_json() for c in self.checks],
            "signatures": [{"position": i + 1, "judged": i == last, **s.to_json()}
                           for i, s in enumerate(self.signatures)],
        }  # fmt: skip


@dataclass(frozen=True)
class AuditReport:
    target: str
    documents: list[DocumentAudit]
    trust_roots: tuple[str, ...] = ()
    checked_at: dt.datetime | None = None

    @property
    def status(self) -> Status:
        if not self.documents:
            return "failed"
        return _combined([d.status for d in self.documents])

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def exit_code(self) -> int:
        return int(EXIT_CODES[self.status])

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "ok": self.ok,
            "status": self.status,
            "exit_code": self.exit_code,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "trust_roots": list(self.trust_roots),
            "documents": [d.to_json() for d in self.documents],
        }


def _documents(settings: Settings, target: str):
    """The archived documents of ``target`` with the signatures they carried on arrival."""
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        if "/" in target and target.endswith(".pdf"):
            row = repository.get_document_by_key(session, archive_key=target)
            rows = [row] if row else []
        else:
            dossier = repository.get_dossier(session, code=target)
            if dossier is None:
                raise ConfigurationError(
                    f"no dossier {target!r} in the database",
                    hint="give a dossier code or an archive key (…/x.pdf)",
                )
            rows = repository.archived_documents(session, dossier_pk=dossier.id)
        return [(r, tuple(repository.submitted_signatures(session, document_pk=r.id))) for r in rows]


def audit(settings: Settings, target: str) -> AuditReport:
    """Audit ``target`` (a dossier code or one archive key). Raises ConfigurationError (exit 3)
    when nothing can be judged; a bad document is a failed check, never an exception."""
    from motcua.signing.factory import trust_roots
    from motcua.storage.s3 import make_client

    client = make_client(settings, "auditor")
    roots = trust_roots(settings)
    documents = _documents(settings, target)
    try:
        results = [dataclasses.replace(_audit_document(settings, client, roots, doc), submitted=arrived)
                   for doc, arrived in documents]
    except TransientError as exc:
        raise ArchiveUnreachable(
            f"the archive stopped answering during the audit: {exc.message}",
            hint="check the S3 server (`motcua status`) and run the audit again",
        ) from exc
    return AuditReport(
        target=target,
        documents=results,
        trust_roots=tuple(map(str, roots)),
        checked_at=dt.datetime.now(dt.UTC),
    )


def _audit_document(settings: Settings, client, roots, doc) -> DocumentAudit:
    from motcua.signing.verify import verify_pdf
    from motcua.storage import archive

    recorded = {
        "kind": doc.kind,  # component, or result (kết quả giải quyết)
        "sha256": doc.sha256,
        "signature_level": doc.signature_level,
        "signer": doc.signer,
        "signed_at": doc.signed_at.isoformat() if doc.signed_at else None,
        "version_id": doc.archive_version_id,
    }
    checks: list[Check] = []
    info = archive.stat(client, settings.archive_bucket, doc.archive_key)
    if info is None:
        checks.append(Check("present", "failed", "the object is missing from the archive"))
        return DocumentAudit(
            doc.archive_key, doc.document_id, doc.source_name, checks, recorded=recorded
        )
    data = archive.get_bytes(client, settings.archive_bucket, doc.archive_key)
    actual = hashlib.sha256(data).hexdigest()
    hashes = {"bytes": actual, "metadata": info.sha256, "database": doc.sha256}
    checks.append(
        _check(
            "fixity",
            len(set(hashes.values())) == 1,
            ", ".join(f"{k} {v[:16] if v else None}…" for k, v in hashes.items()),
        )
    )
    if doc.archive_version_id and info.version_id:
        same = info.version_id == doc.archive_version_id
        checks.append(
            _check(
                "version",
                same,
                "current version is the archived one"
                if same
                else f"version {info.version_id} was written over {doc.archive_version_id}",
            )
        )
    now = dt.datetime.now(dt.UTC)
    locked = (
        info.retention_mode == "COMPLIANCE"
        and info.retain_until is not None
        and info.retain_until > now
    )
    until = info.retain_until.isoformat() if info.retain_until else "-"
    checks.append(_check("retention", locked, f"{info.retention_mode or 'no lock'} until {until}"))

    report = verify_pdf(data, trust_roots=roots)
    checks.extend(_signature_checks(report, doc.signature_level))
    return DocumentAudit(
        doc.archive_key,
        doc.document_id,
        doc.source_name,
        checks,
        signatures=report.signatures,
        recorded=recorded,
    )


def _check(name: str, ok: bool, detail: str) -> Check:
    return Check(name, "ok" if ok else "failed", detail)


def _signature_checks(report, recorded_level: str | None) -> list[Check]:
    """``signature``, ``chain`` and ``level``, judged by the last signature alone."""
    last = report.last
    if last is None:
        why = "; ".join(report.problems) or "no signature"
        return [
            Check("signature", "failed", why),
            Check("chain", "failed", "no signature"),
            Check("level", "failed", f"found none, recorded {recorded_level}"),
        ]
    others = len(report.earlier)
    context = f"{last.field_name} (last of {others + 1})" if others else last.field_name
    own = [p for p in last.problems if p != last.chain_problem] + list(report.document_problems)
    if own:
        detail = f"{context}: " + "; ".join(p.message for p in own)
    else:
        ts = (
            f", timestamp {last.timestamp_time:%Y-%m-%d %H:%M:%S} UTC"
            if last.timestamp_time
            else ""
        )
        detail = (
            f"{context}: {last.level}, intact, valid, {last.coverage.replace('_', ' ')} "
            f"(changes after it: {last.modification_level}){ts}"
        )
    if others:
        detail += f"; {others} earlier signature(s) reported, not judged"
    signature = Check("signature", _status_of(own), detail)

    rev = last.revocation
    if last.chain_problem is not None:
        chain = Check("chain", _status_of([last.chain_problem]), last.chain_problem.message)
    elif last.trusted:
        as_of = f"{last.validation_time:%Y-%m-%d %H:%M:%S} UTC" if last.validation_time else "-"
        chain = Check(
            "chain",
            "ok",
            "chains to a trust root; revocation "
            f"{rev.status} ({rev.source}: {rev.embedded_ocsp + rev.fetched_ocsp} OCSP, "
            f"{rev.embedded_crl + rev.fetched_crl} CRL) as of {as_of}",
        )
    else:
        chain = Check("chain", "failed", "not checked: the signature itself is broken")
    level = _check(
        "level", last.level == recorded_level, f"found {last.level}, recorded {recorded_level}"
    )
    return [signature, chain, level]


def _status_of(problems) -> Status:
    from motcua.signing.report import INDETERMINATE_CODES

    if not problems:
        return "ok"
    return "indeterminate" if all(p.code in INDETERMINATE_CODES for p in problems) else "failed"
