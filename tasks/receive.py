"""Receive: register the dossier once and fetch each submitted file into the work folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger
from sqlalchemy.exc import IntegrityError

from motcua.agencies import agency_on
from motcua.core.decode import sha256_file
from motcua.doc_types import OTHER, taxonomy
from motcua.errors import DossierError, ReuseRefused
from motcua.manifest import DocumentEntry
from motcua.services import reuse
from motcua.settings import Settings
from motcua.storage import intake, repository
from motcua.storage.db import migrate, open_session
from motcua.storage.models import Document
from motcua.storage.s3 import make_client
from motcua.tasks.context import DocumentRef, DossierRef, run_ids
from motcua.text import escape_name
from motcua.times import utcnow


@dataclass(frozen=True)
class Registration:
    dossier: DossierRef
    objects: list[intake.IntakeObject]
    entries: dict[str, DocumentEntry]  # by NFC file name
    manifest_problem: DossierError | None  # a dossier.json that was refused (bad_manifest)


def register_dossier(settings: Settings, code: str, keys: list[str], intake_round: int = 1) -> Registration:
    """Bring the database to the current schema (once per process), read the intake folder's
    manifest and list the round's files (``keys``), create the dossier row the first time. A
    manifest that cannot be used is reported, not raised: the dossier goes on with what is known
    (its code)."""
    migrate(settings.db_url)
    client = make_client(settings, "pipeline")
    read = intake.read_manifest(client, settings.intake_bucket, code)
    manifest = read.manifest
    wanted = set(keys)
    objects = [o for o in intake.list_dossier(client, settings.intake_bucket, code) if o.key in wanted]
    received_at = manifest.received_at or utcnow()
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=dt.UTC)
    agency = agency_on(settings.agency, received_at)
    with open_session(settings.db_url) as session:
        row = repository.register_dossier(
            session, manifest=manifest, agency=agency, received_at=received_at
        )
        session.commit()
        ref = DossierRef(pk=row.id, code=row.code, agency_code=row.agency_code,
                         agency_name=row.agency_name, received_at=row.received_at,
                         applicant_id=row.applicant_id, intake_round=intake_round,
                         work_dir=run_folder(settings, code))
    get_run_logger().info("dossier %s: %d file(s) in intake, agency %s", code, len(objects), ref.agency_code)
    _record_declared_reuse(settings, manifest)
    entries = {e.file: e for e in manifest.documents}  # NFC names (DocumentEntry cleans them)
    problem = read.problem if f"{code}/{intake.MANIFEST}" in wanted else None
    return Registration(ref, objects, entries, problem)


def _record_declared_reuse(settings: Settings, manifest) -> None:
    """The papers ``dossier.json`` says were reused: recorded as ``motcua reuse use`` would. One
    that cannot be reused (expired, another applicant's, unknown) is a WARNING with the reason;
    the dossier goes on, and the desk asks the applicant for that paper."""
    logger = get_run_logger()
    for paper in manifest.reused:
        try:
            reuse.use(settings, manifest.code, paper.document_id, component=paper.component,
                      source=paper.source, officer="dossier.json")
            logger.info("dossier %s reuses %s", manifest.code, paper.document_id)
        except ReuseRefused as exc:
            if exc.code != "reuse_recorded":  # a later round reads the same dossier.json again
                logger.warning("dossier %s: declared reuse of %s refused: %s", manifest.code,
                               paper.document_id, exc)


def run_folder(settings: Settings, code: str) -> Path:
    """This run's work folder for dossier ``code``. Per process and thread: a round handed to a
    second worker while the first still runs it (its heartbeat was late) is worked on twice,
    and the two runs must not delete each other's pages."""
    return settings.work_dir / code / f"{os.getpid()}-{threading.get_ident()}"


def receive_document(settings: Settings, dossier: DossierRef, obj: intake.IntakeObject,
                     entry: DocumentEntry | None) -> tuple[DocumentRef, Document]:
    """Download one submission and find or create its document row (identity = content); the
    ``receive`` step event records it."""
    started = utcnow()
    client = make_client(settings, "pipeline")
    work = dossier.work_dir
    # The local name comes from the key's hash, never from the key: a name may hold "../" or a
    # newline, and two keys that differ only by NFC/NFD must not land on one file.
    local_name = hashlib.sha256(obj.key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    local = intake.download(client, settings.intake_bucket, obj.key, work / "intake" / local_name)
    digest = sha256_file(local)
    name = escape_name(entry.name if entry and entry.name else obj.name)
    declared = _declared_type(settings, entry, name)
    with open_session(settings.db_url) as session:
        row = _find_or_add(session, dossier, digest, name, local.stat().st_size, entry, declared)
        attempt, flow_id, task_id = run_ids()
        event = repository.start_step(
            session, dossier_pk=dossier.pk, document_pk=row.id, step="receive", attempt=attempt,
            flow_run_id=flow_id, task_run_id=task_id, started_at=started)
        repository.finish_step(session, event=event, status="completed")
        session.commit()
        session.expunge(row)
    ref = DocumentRef(
        pk=row.id, document_id=row.document_id, dossier=dossier, source_key=obj.key,
        source_name=name, local_path=local, sha256=digest, kind=row.kind,
        doc_type=declared,
        title=entry.title if entry else None, work_dir=work / row.document_id,
    )
    return ref, row


def _declared_type(settings: Settings, entry: DocumentEntry | None, name: str) -> str | None:
    """The type ``dossier.json`` declares, if it is one of the taxonomy's (else it is classified
    from the text, with a WARNING)."""
    if entry is None or not entry.type:
        return None
    if entry.type not in taxonomy(settings.doc_types_file):
        get_run_logger().warning("%s: type %r is not in the document types; classified from its "
                                 "text instead", name, entry.type)
        return None
    return entry.type


def _find_or_add(session, dossier: DossierRef, digest: str, name: str, size: int,
                 entry: DocumentEntry | None, declared: str | None) -> Document:
    row = repository.get_document(session, dossier_pk=dossier.pk, source_sha256=digest)
    if row is not None:
        return row
    # Identity is content *within the dossier*: the same certificate handed in with two dossiers
    # is two documents, archived under each dossier's own key.
    document_id = hashlib.sha256(f"{dossier.code}\n{digest}".encode()).hexdigest()[:20]
    try:
        row = repository.add_document(
            session, dossier_pk=dossier.pk, document_id=document_id, source_name=name,
            source_sha256=digest, source_bytes=size, kind=entry.kind if entry else "component",
            doc_type=declared or OTHER,
            title=entry.title if entry else None, intake_round=dossier.intake_round,
        )
        session.commit()
    except IntegrityError:  # another run registered the same file a moment ago
        session.rollback()
        row = repository.get_document(session, dossier_pk=dossier.pk, source_sha256=digest)
        if row is None:
            raise
    return row


def clear_intake(settings: Settings, code: str, done: list[intake.IntakeObject],
                 all_done: bool) -> list[str]:
    """Remove the submissions that reached the archive or the quarantine (their bytes are kept
    there), and the manifest once nothing of the dossier waits any more. Files still waiting
    (``sign_pending``) stay for the next run."""
    keys = [o.key for o in done] + ([f"{code}/{intake.MANIFEST}"] if all_done else [])
    client = make_client(settings, "pipeline")
    removed = intake.remove(client, settings.intake_bucket, keys)
    if all_done:
        intake.remove_folder(client, settings.intake_bucket, code)
    get_run_logger().info("intake/%s/: %d object(s) removed", code, len(removed))
    return removed
