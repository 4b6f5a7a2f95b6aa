"""The `digitize-dossier` flow: every document of one intake folder through
scan → ocr → assemble → sign → archive → index (DESIGN §1).

The flow only orders tasks: the signing plan is checked first (a bad key fails the run before any
OCR), the dossier is registered, each file is received (downloaded and hashed, so that two files
with the same bytes become one document before any work starts), then every document runs
concurrently through :func:`~motcua.tasks.document.digitize_document`; pages run in parallel
inside the OCR step, and a process-wide cap keeps Tesseract at one process per core however many
documents are in flight. What can happen to a document is described there.

Submissions that reached the archive or the quarantine are removed from intake at the end (their
bytes live on there); those waiting to be signed stay.
"""

from __future__ import annotations

import dataclasses

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from motcua.core.ocr import check_tesseract
from motcua.errors import DossierError
from motcua.outcomes import DocumentOutcome, DossierOutcome
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef
from motcua.tasks.document import digitize_document
from motcua.tasks.quarantine import quarantine_manifest
from motcua.tasks.receive import clear_intake, receive_document, register_dossier
from motcua.tasks.sign import prepare_signing_step
from motcua.text import clean


@flow(
    name="digitize-dossier",
    flow_run_name="digitize/{dossier_code}",
    task_runner=ThreadPoolTaskRunner(max_workers=4),
    validate_parameters=False,
)
def digitize_dossier(dossier_code: str, settings: Settings) -> DossierOutcome:
    """Digitize every file in ``intake/{dossier_code}/``."""
    check_tesseract(settings.ocr_languages)
    plan = prepare_signing_step(settings)
    registration = register_dossier(settings, dossier_code)
    dossier, objects, entries = registration.dossier, registration.objects, registration.entries
    manifest = None
    if registration.manifest_problem is not None:  # the files go on with what is known
        manifest = quarantine_manifest(settings, dossier, registration.manifest_problem)
    if not objects:
        raise DossierError(
            f"intake/{dossier_code}/ holds no files", hint="upload the scans first",
            code="empty_dossier",
        )
    received = [receive_document(settings, dossier, obj, entries.get(clean(obj.name)))
                for obj in objects]
    primaries: dict[int, DocumentRef] = {}
    for doc, row in received:
        primaries.setdefault(row.id, doc)
    futures = {row.id: digitize_document.submit(settings, doc, row, plan)
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
                            documents=outcomes, flow_run_id=str(flow_run.id) if flow_run.id else None,
                            manifest=manifest)
    _summary_artifact(result)
    get_run_logger().info("dossier %s: %s", dossier_code,
                          ", ".join(f"{o.source}={o.status}" for o in outcomes))
    return result


def _duplicate(primary: DocumentOutcome, doc: DocumentRef) -> DocumentOutcome:
    """A second file with the same bytes in one dossier is the same document: reported with the
    first one's result, processed once."""
    return dataclasses.replace(primary, source=doc.source_name, duplicate_of=primary.source,
                               durations={})


def _summary_artifact(result: DossierOutcome) -> None:
    outcomes = result.documents
    create_table_artifact(
        key="digitize-" + "".join(c if c.isalnum() else "-" for c in result.dossier.lower()),
        table=[
            {"document": o.source, "status": o.status, "pages": o.pages,
             "ocr_confidence": o.ocr_confidence, "signature": o.signature_level,
             "archive_key": o.archive_key or o.quarantine_key, "reason": o.reason_code}
            for o in outcomes
        ],
        description=f"Dossier {result.dossier}: {sum(o.status == 'archived' for o in outcomes)}"
        f"/{len(outcomes)} document(s) archived",
    )
