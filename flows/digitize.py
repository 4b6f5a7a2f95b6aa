"""The `digitize-dossier` flow: every document of one intake folder through
scan → ocr → assemble → sign → archive → index (DESIGN §1).

Documents run concurrently (one ``digitize-document`` task each, which calls the step tasks in
order); pages run in parallel inside the OCR step, and a process-wide cap keeps Tesseract at one
process per core however many documents are in flight.

What can happen to a document:

- ``archived``: signed, in the archive under object lock, indexed;
- ``quarantined``: bad input (or a page Tesseract cannot read): the file and a JSON reason are in
  the quarantine bucket, the other documents go on;
- ``sign_pending``: the TSA/token is down after retries: nothing is signed at a lower level, a
  later run signs it.

Only a fault of the submitted file (found by the scan or OCR step) quarantines it. Outside
services that stay down after their retries (S3, the database), an archive that does not hold
what it should, and a PDF motcua made that its own signer refuses fail the run loudly: that is not
the document's fault, so it is neither quarantined nor marked done, and its file stays in intake.
Two files with the same bytes in one dossier are one document, processed once.

Running a dossier again is a no-op for documents already archived: their identity is the SHA-256
of the submitted file, and the archived row is found and reported as it is (indexed first if an
earlier run stopped between archive and index). Submissions that
reached the archive or the quarantine are removed from intake at the end (their bytes live on
there); those waiting to be signed stay.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import asdict, dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from sqlmodel import Session

from motcua.errors import BadInput, DossierError, SignPending
from motcua.ocr import check_tesseract
from motcua.settings import Settings
from motcua.storage import archive, repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document
from motcua.storage.s3 import make_client
from motcua.tasks.archive import archive_step, document_text
from motcua.tasks.assemble import assemble_step
from motcua.tasks.context import DocumentRef
from motcua.tasks.index import index_step
from motcua.tasks.ocr import ocr_step
from motcua.tasks.quarantine import mark_sign_pending, quarantine_step
from motcua.tasks.receive import clear_intake, receive_document, register_dossier
from motcua.tasks.scan import scan_step
from motcua.tasks.sign import sign_step
from motcua.text import clean

STEPS = ("scan", "ocr", "assemble", "sign", "archive", "index")


@dataclass(frozen=True)
class DocumentOutcome:
    source: str
    status: str  # archived | quarantined | sign_pending
    document_id: str | None = None
    archive_key: str | None = None
    sha256: str | None = None
    pages: int | None = None
    ocr_confidence: float | None = None
    signature_level: str | None = None
    doc_type: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    quarantine_key: str | None = None
    already_archived: bool = False
    duplicate_of: str | None = None  # another file of the dossier with the same bytes
    durations: dict[str, float] = field(default_factory=dict)  # step → seconds

    def to_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k not in ("reason", "reason_code")}
        if self.status != "archived":
            data["reason"] = f"{self.reason_code}: {self.reason}" if self.reason_code else self.reason
        return data


@dataclass(frozen=True)
class DossierOutcome:
    dossier: str
    agency_code: str
    documents: list[DocumentOutcome]
    flow_run_id: str | None

    @property
    def ok(self) -> bool:
        return all(d.status == "archived" for d in self.documents)

    def to_json(self) -> dict:
        return {
            "dossier": self.dossier,
            "agency": self.agency_code,
            "flow_run_id": self.flow_run_id,
            "documents": [d.to_json() for d in self.documents],
        }


def _outcome(settings: Settings, row: Document, *, already: bool = False) -> DocumentOutcome:
    with Session(make_engine(settings.db_url)) as session:
        events = repository.steps_of(session, document_pk=row.id)
    durations: dict[str, float] = {}
    for event in events:  # the last completed attempt of each step wins
        if event.status == "completed" and event.finished_at and event.step in STEPS:
            durations[event.step] = round((event.finished_at - event.started_at).total_seconds(), 3)
    return DocumentOutcome(
        source=row.source_name, status=row.status, document_id=row.document_id,
        archive_key=row.archive_key, sha256=row.sha256, pages=row.pages,
        ocr_confidence=row.ocr_confidence, signature_level=row.signature_level,
        doc_type=row.doc_type, reason=row.reason, reason_code=row.reason_code,
        quarantine_key=row.quarantine_key, already_archived=already, durations=durations,
    )


INPUT_STEPS = ("scan", "ocr")  # where a BadInput is the file's fault (later: motcua's own)


def _reindex(settings: Settings, doc: DocumentRef, row: Document) -> None:
    """An archived document whose index step never finished: index its archived text."""
    client = make_client(settings, "pipeline")
    text = archive.get_bytes(client, settings.archive_bucket,
                             row.archive_key.removesuffix(".pdf") + ".txt").decode()
    index_step(settings, doc, text)


@task(name="digitize-document", task_run_name="document/{doc.source_name}", cache_policy=NO_CACHE)
def digitize_document(settings: Settings, doc: DocumentRef, row: Document) -> DocumentOutcome:
    try:
        if row.status == "archived":
            if row.indexed_at is None:
                _reindex(settings, doc, row)
            get_run_logger().info("%s: already archived at %s", doc.source_name, row.archive_key)
            return _outcome(settings, _reload(settings, doc), already=True)
        step = "scan"
        try:
            scanned = scan_step(settings, doc)
            step = "ocr"
            texts = ocr_step(settings, doc, scanned)
            step = "assemble"
            pdf = assemble_step(settings, doc, scanned, texts)
            step = "sign"
            signed = sign_step(settings, doc, pdf)
            step = "archive"
            archive_step(settings, doc, scanned, texts, signed)
            step = "index"
            index_step(settings, doc, document_text(texts))
        except SignPending as exc:
            mark_sign_pending(settings, doc, exc)
        except BadInput as exc:
            if step not in INPUT_STEPS:
                raise  # a PDF motcua made that its own signer refuses is a bug, not bad input
            quarantine_step(settings, doc, exc, step)
        return _outcome(settings, _reload(settings, doc))
    finally:
        shutil.rmtree(doc.work_dir, ignore_errors=True)
        doc.local_path.unlink(missing_ok=True)


def _reload(settings: Settings, doc: DocumentRef) -> Document:
    with Session(make_engine(settings.db_url)) as session:
        row = session.get(Document, doc.pk)
        session.expunge(row)
        return row


def _duplicate(primary: DocumentOutcome, doc: DocumentRef) -> DocumentOutcome:
    """A second file with the same bytes in one dossier is the same document: reported with the
    first one's result, processed once."""
    return dataclasses.replace(primary, source=doc.source_name, duplicate_of=primary.source,
                               durations={})


@flow(
    name="digitize-dossier",
    flow_run_name="digitize/{dossier_code}",
    task_runner=ThreadPoolTaskRunner(max_workers=4),
    validate_parameters=False,
)
def digitize_dossier(dossier_code: str, settings: Settings) -> DossierOutcome:
    """Digitize every file in ``intake/{dossier_code}/``."""
    logger = get_run_logger()
    check_tesseract(settings.ocr_languages)
    migrate(settings.db_url)
    dossier, objects, entries = register_dossier(settings, dossier_code)
    if not objects:
        raise DossierError(
            f"intake/{dossier_code}/ holds no files", hint="upload the scans first",
            code="empty_dossier",
        )
    # Received one by one (download and hash: quick), so that two identical files of one
    # dossier become one document before any work starts on it.
    received = [receive_document(settings, dossier, obj, entries.get(clean(obj.name)))
                for obj in objects]
    primaries: dict[int, DocumentRef] = {}
    for doc, row in received:
        primaries.setdefault(row.id, doc)
    futures = {row.id: digitize_document.submit(settings, doc, row)
               for doc, row in received if primaries[row.id] is doc}
    by_pk = {pk: f.result() for pk, f in futures.items()}
    outcomes = []
    for doc, row in received:
        if primaries[row.id] is doc:
            outcomes.append(by_pk[row.id])
        else:
            doc.local_path.unlink(missing_ok=True)
            outcomes.append(_duplicate(by_pk[row.id], doc))
    done = [obj for obj, o in zip(objects, outcomes, strict=True)
            if o.status in ("archived", "quarantined")]
    clear_intake(settings, dossier_code, done, all_done=len(done) == len(objects))
    result = DossierOutcome(dossier=dossier_code, agency_code=dossier.agency_code,
                            documents=outcomes, flow_run_id=str(flow_run.id) if flow_run.id else None)
    create_table_artifact(
        key="digitize-" + "".join(c if c.isalnum() else "-" for c in dossier_code.lower()),
        table=[
            {"document": o.source, "status": o.status, "pages": o.pages,
             "ocr_confidence": o.ocr_confidence, "signature": o.signature_level,
             "archive_key": o.archive_key or o.quarantine_key, "reason": o.reason_code}
            for o in outcomes
        ],
        description=f"Dossier {dossier_code}: {sum(o.status == 'archived' for o in outcomes)}"
        f"/{len(outcomes)} document(s) archived",
    )
    logger.info("dossier %s: %s", dossier_code,
                ", ".join(f"{o.source}={o.status}" for o in outcomes))
    return result
