"""The `digitize-dossier` flow: every file of one intake round through
scan → ocr → assemble → sign → archive → index (DESIGN §1).

The flow only orders the work, and all of it runs in the flow's own run, without task runs (a
task run costs the Prefect server and the worker ~45 ms of CPU between them; docs/operations.md):
:func:`~motcua.tasks.rounds.open_round` checks the signing plan (a bad key fails the run before
any OCR), takes the round (the files the watcher gave this run, or, for a run started by hand,
the dossier's new files), registers the dossier and receives each file (downloaded and hashed,
so that two files with the same bytes become one document before any work starts); then the
documents run concurrently, each through :func:`~motcua.tasks.document.digitize_document` on a
thread of the run (each step a step event of its own in motcua's database, its logs the run's);
pages run in parallel inside the OCR step, and a process-wide cap keeps Tesseract at one process
per core however many documents are in flight; :func:`~motcua.tasks.rounds.close_round` ends it.

Submissions that reached the archive or the quarantine are removed from intake at the end (their
bytes live on there); those waiting to be signed stay. The round is closed with the outcome (so
``motcua digitize``, in another process, can print it), or failed with what went wrong.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import socket
from concurrent.futures import ThreadPoolExecutor

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from motcua.outcomes import DocumentOutcome, DossierOutcome
from motcua.settings import Settings
from motcua.tasks.context import DocumentRef
from motcua.tasks.document import digitize_document
from motcua.tasks.rounds import OpenedRound, close_round, fail_round, open_round, round_held

DOCUMENTS_AT_ONCE = 4
"""Documents of one round in flight at once: their pages share the process's Tesseract slots."""


def this_process() -> str:
    """How a run names the process it runs in (the round records it)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@flow(
    name="digitize-dossier",
    flow_run_name="digitize/{dossier_code}",
    validate_parameters=False,
)
def digitize_dossier(dossier_code: str, settings: Settings | None = None,
                     round_pk: int | None = None) -> DossierOutcome:
    """Digitize the files of ``intake/{dossier_code}/`` that round ``round_pk`` holds (a round
    the caller claimed), or, without one, the dossier's files not processed yet.

    ``settings`` empty (a deployment run started from the UI): built here from ``MOTCUA_*`` in
    the environment of the process that runs it.
    """
    settings = settings or Settings()
    opened = open_round(settings, dossier_code, round_pk, this_process())
    try:
        with round_held(settings, opened):  # a sign of life, or the round is handed on
            result = _digitize_round(settings, dossier_code, opened)
        result = close_round(settings, opened, result)
    except BaseException as exc:
        fail_round(settings, opened.round.pk, exc, worker=opened.round.worker)
        raise
    _summary_artifact(result)
    get_run_logger().info("dossier %s: %s", dossier_code,
                          ", ".join(f"{o.source}={o.status}" for o in result.documents) or "no files")
    return result


def _digitize_round(settings: Settings, dossier_code: str, opened: OpenedRound) -> DossierOutcome:
    """Every document of the round, :data:`DOCUMENTS_AT_ONCE` at a time, on threads that carry
    the run's context (its logger, its run id for the step events); a file with the same bytes
    as another of the round is that document, reported twice."""
    primaries: dict[int, DocumentRef] = {}
    for doc, row in opened.received:
        primaries.setdefault(row.id, doc)
    with ThreadPoolExecutor(max_workers=DOCUMENTS_AT_ONCE, thread_name_prefix="document") as pool:
        futures = {row.id: pool.submit(contextvars.copy_context().run, digitize_document,
                                       settings, doc, row, opened.plan)
                   for doc, row in opened.received if primaries[row.id] is doc}
        by_pk = {pk: f.result() for pk, f in futures.items()}
    outcomes = []
    for doc, row in opened.received:
        if primaries[row.id] is doc:
            outcomes.append(by_pk[row.id])
        else:
            doc.local_path.unlink(missing_ok=True)
            outcomes.append(_duplicate(by_pk[row.id], doc))
    return DossierOutcome(
        dossier=dossier_code, agency_code=opened.dossier.agency_code, documents=outcomes,
        flow_run_id=str(flow_run.id) if flow_run.id else None, manifest=opened.manifest,
        intake_round=opened.round.number)


def _duplicate(primary: DocumentOutcome, doc: DocumentRef) -> DocumentOutcome:
    """A second file with the same bytes in one dossier is the same document: reported with the
    first one's result, processed once."""
    return dataclasses.replace(primary, source=doc.source_name, duplicate_of=primary.source,
                               durations={})


def _cell(value: object) -> str:
    return str(value if value is not None else "–").replace("|", "\\|").replace("\n", " ")


def _summary_artifact(result: DossierOutcome) -> None:
    """The run's markdown artifact: per document pages, OCR confidence, signature level and
    where it went (archive key, or quarantine key and reason)."""
    outcomes = result.documents
    archived = sum(o.status == "archived" for o in outcomes)
    lines = [f"# Hồ sơ {result.dossier}", "",
             f"Agency {result.agency_code}, round {result.intake_round}: "
             f"{archived}/{len(outcomes)} document(s) archived.", "",
             "| document | status | pages | OCR confidence | signature | archive key / reason |",
             "|---|---|---|---|---|---|"]
    for o in outcomes:
        where = o.archive_key if o.status == "archived" else (
            f"{o.quarantine_key or ''} {o.reason_code or ''}: {o.reason or ''}".strip())
        lines.append("| " + " | ".join(_cell(v) for v in (
            o.source, o.status + (" (already)" if o.already_archived else ""), o.pages,
            f"{o.ocr_confidence:.1f}" if o.ocr_confidence is not None else None,
            o.signature_level, where)) + " |")
    if result.manifest is not None:
        lines += ["", f"**dossier.json quarantined**: {_cell(result.manifest.reason_code)}: "
                      f"{_cell(result.manifest.reason)} → `{result.manifest.quarantine_key}`"]
    create_markdown_artifact(
        key="digitize-" + "".join(c if c.isalnum() else "-" for c in result.dossier.lower()),
        markdown="\n".join(lines),
        description=f"Dossier {result.dossier}: {archived}/{len(outcomes)} document(s) archived",
    )
