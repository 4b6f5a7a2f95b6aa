"""The `fixity-audit` flow: is the archive still what was signed, and will it stay verifiable?

Scheduled nightly (``motcua serve``; Asia/Ho_Chi_Minh), or run at once with ``motcua fixity``.
For every archived document it runs the auditor's checks (motcua/audit.py: signature, chain,
level, SHA-256 fixity, current version, retention), with the read-only ``auditor`` identity.

B-LTA documents whose last document timestamp's TSA certificate expires within
``renew_within_days`` get a new document timestamp (signing/renewal.py), written as a **new
version** of the archived object with the ``pipeline`` identity: object lock keeps the old
version, the database records the new one. Only documents that passed the audit are renewed: a
renewal must never launder a tampered file.

The result (counts and one row per document that is not clean) is a Prefect table artifact and a
JSON report in the ``reports`` bucket (``fixity/<UTC timestamp>.json``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.schedules import Cron
from prefect.task_runners import ThreadPoolTaskRunner
from sqlmodel import Session, select

from motcua.audit import audit
from motcua.errors import SignPending
from motcua.settings import Settings
from motcua.signing.factory import agency_signer
from motcua.signing.renewal import renew_archival_timestamp, timestamp_chain
from motcua.storage import archive
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, StepEvent, utcnow
from motcua.storage.s3 import make_client
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient

NIGHTLY_CRON = "30 1 * * *"  # 01:30 in Vietnam, after the working day's dossiers
TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class DocumentFixity:
    archive_key: str
    status: str  # ok | failed | indeterminate
    failed_checks: list[str] = field(default_factory=list)
    renewed: bool = False
    tsa_expires_at: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FixityResult:
    checked: int
    ok: int
    failed: int
    indeterminate: int
    renewed: int
    report_key: str | None
    documents: list[DocumentFixity]

    def to_json(self) -> dict:
        return asdict(self)


@task(name="verify-archived", task_run_name="verify/{archive_key}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def verify_archived(settings: Settings, archive_key: str) -> DocumentFixity:
    report = audit(settings, archive_key)
    (doc,) = report.documents
    return DocumentFixity(archive_key=archive_key, status=doc.status,
                          failed_checks=[c.name for c in doc.checks if not c.ok])


@task(name="renew-timestamp", task_run_name="renew/{archive_key}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def renew_timestamp(settings: Settings, archive_key: str, within_days: int) -> DocumentFixity:
    """Add a document timestamp if the last one's TSA certificate expires within the window."""
    client = make_client(settings, "pipeline")
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        row = session.exec(select(Document).where(Document.archive_key == archive_key)).one()
        session.expunge(row)
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
    retain_until = utcnow() + dt.timedelta(days=settings.archive_retention_days)
    stored = archive.put_new_version(
        client, settings.archive_bucket, archive_key, renewed,
        replaces_version=row.archive_version_id, content_type="application/pdf",
        retain_until=retain_until, metadata={"renews": row.sha256 or ""},
    )
    with Session(engine) as session:
        current = session.get(Document, row.id)
        current.sha256, current.size_bytes = stored.sha256, stored.size
        current.archive_version_id, current.retain_until = stored.version_id, stored.retain_until
        current.updated_at = utcnow()
        session.add(current)
        session.add(StepEvent(dossier_id=row.dossier_id, document_id=row.id, step="renew",
                              status="completed", started_at=started, finished_at=utcnow()))
        session.commit()
    new_chain = timestamp_chain(renewed)
    get_run_logger().info("%s: document timestamp renewed (%d → %d), TSA certificate now until %s",
                          archive_key, chain.timestamps, new_chain.timestamps, new_chain.tsa_expires_at)
    return DocumentFixity(archive_key=archive_key, status="ok", renewed=True,
                          tsa_expires_at=new_chain.tsa_expires_at.isoformat()
                          if new_chain.tsa_expires_at else None)


def _archived_keys(settings: Settings) -> list[tuple[str, str | None]]:
    with Session(make_engine(settings.db_url)) as session:
        rows = session.exec(select(Document.archive_key, Document.signature_level).where(
            Document.status == "archived").order_by(Document.id)).all()
    return [(key, level) for key, level in rows if key]


@flow(name="fixity-audit", task_runner=ThreadPoolTaskRunner(max_workers=2),
      validate_parameters=False)
def fixity_audit(settings: Settings | None = None, renew_within_days: int = 365) -> FixityResult:
    """Audit every archived document; renew B-LTA timestamps due within ``renew_within_days``.

    ``settings`` empty (a scheduled run): built here from ``MOTCUA_*`` in the environment of the
    process that serves the schedule (``motcua serve`` sets ``MOTCUA_DATA_DIR``).
    """
    settings = settings or Settings()
    logger = get_run_logger()
    migrate(settings.db_url)
    keys = _archived_keys(settings)
    futures = {key: verify_archived.submit(settings, key) for key, _ in keys}
    results = {key: f.result() for key, f in futures.items()}
    for key, level in keys:
        if level == "B-LTA" and results[key].status == "ok":
            try:
                results[key] = renew_timestamp(settings, key, renew_within_days)
            except SignPending as exc:
                results[key] = DocumentFixity(archive_key=key, status="ok", note=f"renewal waits: {exc}")
    documents = list(results.values())
    count = {s: sum(d.status == s for d in documents) for s in ("ok", "failed", "indeterminate")}
    result = FixityResult(checked=len(documents), ok=count["ok"], failed=count["failed"],
                          indeterminate=count["indeterminate"],
                          renewed=sum(d.renewed for d in documents), report_key=None,
                          documents=[d for d in documents if d.status != "ok" or d.renewed or d.note])
    key = f"fixity/{utcnow():%Y%m%dT%H%M%SZ}.json"
    body = json.dumps(result.to_json(), ensure_ascii=False, indent=2).encode()
    make_client(settings, "pipeline").put_object(
        settings.reports_bucket, key, io.BytesIO(body), len(body), content_type="application/json",
        metadata={"sha256": hashlib.sha256(body).hexdigest()})
    result = dataclasses.replace(result, report_key=key)
    create_table_artifact(
        key="fixity-audit",
        table=[{"archive_key": d.archive_key, "status": d.status, "failed": ", ".join(d.failed_checks),
                "renewed": d.renewed, "note": d.note or ""} for d in result.documents]
        or [{"archive_key": "-", "status": "all ok", "failed": "", "renewed": False, "note": ""}],
        description=f"{result.checked} checked: {result.ok} ok, {result.failed} failed, "
        f"{result.indeterminate} indeterminate, {result.renewed} renewed",
    )
    logger.info("fixity: %d checked, %d ok, %d failed, %d indeterminate, %d renewed",
                result.checked, result.ok, result.failed, result.indeterminate, result.renewed)
    return result


def nightly_deployment():
    """The scheduled form of :func:`fixity_audit`, for ``motcua serve``."""
    return fixity_audit.to_deployment(
        name="nightly", schedule=Cron(NIGHTLY_CRON, timezone=TIMEZONE),
        parameters={"renew_within_days": 365},
        description="Re-verify every archived document; renew B-LTA timestamps before expiry.",
    )
