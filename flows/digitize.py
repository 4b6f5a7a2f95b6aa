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

Outside services that stay down after their retries (S3, the database) fail the run loudly: that
is not the document's fault, so it is neither quarantined nor marked done.

Running a dossier again is a no-op for documents already archived: their identity is the SHA-256
of the submitted file, and the archived row is found and reported as it is. Submissions that
reached the archive or the quarantine are removed from intake at the end (their bytes live on
there); those waiting to be signed stay.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from sqlmodel import Session

from motcua.dossier import DocumentEntry
from motcua.errors import DossierError, SignPending, TransientError
from motcua.ocr import check_tesseract
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.intake import IntakeObject
from motcua.storage.models import Document
from motcua.tasks.archive import archive_step
from motcua.tasks.assemble import assemble_step
from motcua.tasks.context import DossierRef
from motcua.tasks.index import index_step
from motcua.tasks.ocr import ocr_step
from motcua.tasks.quarantine import mark_sign_pending, quarantine_step
from motcua.tasks.receive import clear_intake, receive_document, register_dossier
from motcua.tasks.scan import scan_step
from motcua.tasks.sign import sign_step

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


@task(name="digitize-document", task_run_name="document/{obj.name}", cache_policy=NO_CACHE)
def digitize_document(settings: Settings, dossier: DossierRef, obj: IntakeObject,
                      entry: DocumentEntry | None) -> DocumentOutcome:
    doc, row = receive_document(settings, dossier, obj, entry)
    if row.status == "archived":
        get_run_logger().info("%s: already archived at %s, nothing to do", obj.name, row.archive_key)
        return _outcome(settings, row, already=True)
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
        index_step(settings, doc, texts)
    except SignPending as exc:
        mark_sign_pending(settings, doc, exc)
    except TransientError:
        raise
    except DossierError as exc:
        quarantine_step(settings, doc, exc, step)
    finally:
        shutil.rmtree(doc.work_dir, ignore_errors=True)
        doc.local_path.unlink(missing_ok=True)
    with Session(make_engine(settings.db_url)) as session:
        row = session.get(Document, doc.pk)
        session.expunge(row)
    return _outcome(settings, row)


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
    futures = [
        digitize_document.submit(settings, dossier, obj, entries.get(obj.name)) for obj in objects
    ]
    outcomes = [f.result() for f in futures]
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
