"""The two ends of a `digitize-dossier` run (between them, each document on a thread of the
run: tasks/document.py). They are plain functions run in the flow's own run, not task runs: each task
run costs the Prefect server and the worker ~45 ms of CPU between them (states, events, the run
row), and these two do bookkeeping an operator reads in the run's logs; as task runs they were
~40% of all task runs and cost ~0.5 s of 2-core wall time per 20 dossiers (measured, see
benchmarks/README.md). Their database and S3 calls are retried like a step's.

- :func:`open_round`: check Tesseract and the signing plan (a bad key fails the run before any
  file is read), take the round (the one a worker claimed, or, for a run started by hand, one it
  opens for the dossier's new files), register the dossier, quarantine a manifest that cannot be
  used, and receive every file (download, hash, document row).
- :func:`close_round`: clear what reached the archive or the quarantine from intake, and close
  the round with the run's outcome (so ``motcua digitize``, in another process, can print it);
  :func:`fail_round` when the run fails, with what failed and what to do.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect import get_run_logger
from prefect.runtime import flow_run

from motcua.core.ocr import check_tesseract
from motcua.errors import DossierError, MotcuaError
from motcua.outcomes import DossierOutcome, ManifestOutcome
from motcua.services import intake_watch, round_leases, routing
from motcua.services.intake_watch import RoundRef
from motcua.settings import Settings
from motcua.signing.factory import SigningPlan
from motcua.storage import intake
from motcua.storage.models import Document
from motcua.tasks.context import DocumentRef, DossierRef
from motcua.tasks.policies import retried
from motcua.tasks.quarantine import quarantine_manifest
from motcua.tasks.receive import clear_intake, receive_document, register_dossier
from motcua.tasks.sign import prepare_signing_step
from motcua.text import clean
from motcua.times import VN_TZ


@dataclass(frozen=True)
class OpenedRound:
    round: RoundRef
    plan: SigningPlan
    dossier: DossierRef
    objects: list[intake.IntakeObject]
    received: list[tuple[DocumentRef, Document]]  # in the order of ``objects``
    manifest: ManifestOutcome | None  # the dossier.json this round refused, if any


def open_round(settings: Settings, dossier_code: str, round_pk: int | None, worker: str) -> OpenedRound:
    check_tesseract(settings.ocr_languages)
    plan = prepare_signing_step(settings)
    ref = retried(lambda: intake_watch.get(settings, round_pk) if round_pk is not None
                  else intake_watch.open_own_round(settings, dossier_code, worker=worker))
    try:
        return _receive(settings, dossier_code, ref, plan)
    except BaseException as exc:
        fail_round(settings, ref.pk, exc, worker=ref.worker)
        raise


def _receive(settings: Settings, dossier_code: str, ref: RoundRef, plan: SigningPlan) -> OpenedRound:
    if flow_run.id:
        intake_watch.note_flow_run(settings, ref.pk, str(flow_run.id))
        if not any(tag.startswith("agency:") for tag in flow_run.tags):  # not tagged at creation
            _tag_this_run(intake_watch.tags_for(settings, dossier_code))
    keys = intake_watch.round_files(settings, ref.pk)
    get_run_logger().info("dossier %s: round %d, %d file(s)%s", dossier_code, ref.number, len(keys),
                          " (added after the dossier was processed)" if ref.number > 1 else "")
    registration = retried(lambda: register_dossier(settings, dossier_code, keys, ref.number))
    manifest = None
    if registration.manifest_problem is not None:  # the files go on with what is known
        manifest = quarantine_manifest(settings, registration.dossier, registration.manifest_problem)
    if not registration.objects and manifest is None:
        raise DossierError(f"intake/{dossier_code}/ holds no files", hint="upload the scans first",
                           code="empty_dossier")
    received = [retried(lambda obj=obj: receive_document(
                    settings, registration.dossier, obj, registration.entries.get(clean(obj.name))))
                for obj in registration.objects]
    return OpenedRound(ref, plan, registration.dossier, registration.objects, received, manifest)


def _tag_this_run(tags: list[str]) -> None:
    """Put the dossier's agency and procedure on this flow run, for a run that was not given them
    when it was created (a worker's are: flows/service.py; one started by hand is not): two
    calls to the server. (Tags on task runs would make Prefect ask the server for tag
    concurrency slots before each task: ~2 s per dossier, seen with 3.9.1; the run has none.)"""
    from prefect.client.orchestration import SyncPrefectClient, get_client
    from prefect.context import get_run_context

    client = get_run_context().client  # this task's own: a new client costs a TLS context
    if not isinstance(client, SyncPrefectClient):
        with get_client(sync_client=True) as own:
            return _tag_this_run_with(own, tags)
    return _tag_this_run_with(client, tags)


def _tag_this_run_with(client, tags: list[str]) -> None:
    current = client.read_flow_run(flow_run.id)
    client.update_flow_run(flow_run.id, tags=sorted(set(current.tags) | set(tags)))


@contextmanager
def round_held(settings: Settings, opened: OpenedRound) -> Iterator[None]:
    """The run's sign of life while it works on the round (services/round_leases.py)."""
    logger = get_run_logger()  # taken here: the heartbeat thread has no run context of its own

    def lost() -> None:
        logger.error("round %d of %s was handed to another worker: this run's work on it is "
                     "done twice (harmless: archived documents are not archived again)",
                     opened.round.number, opened.round.dossier_code)

    with round_leases.keep_alive(settings, opened.round.pk, opened.round.worker or "", on_lost=lost):
        yield


def close_round(settings: Settings, opened: OpenedRound, outcome: DossierOutcome) -> DossierOutcome:
    done = [obj for obj, o in zip(opened.objects, outcome.documents, strict=True)
            if o.status in ("archived", "quarantined")]
    retried(lambda: clear_intake(settings, outcome.dossier, done,
                                 all_done=len(done) == len(opened.objects)))
    if len(done) == len(opened.objects):  # digitization ended: the desk hands the dossier on
        _hand_on(settings, outcome.dossier)
    closed = retried(lambda: intake_watch.close(settings, opened.round.pk, outcome,
                                                worker=opened.round.worker))
    if not closed:
        get_run_logger().warning("round %d of %s was handed to another worker before this run "
                                 "ended: that run's outcome is the round's", opened.round.number,
                                 outcome.dossier)
    _remove_run_folder(opened)
    return outcome


def _remove_run_folder(opened: OpenedRound) -> None:
    folder = opened.dossier.work_dir
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.parent.rmdir()  # the dossier's folder, once no run uses it


def _hand_on(settings: Settings, code: str) -> None:
    """The first handoff of the dossier's route (services/routing.py), before the round closes
    so that whoever follows the round sees it. A routing problem (a units file that cannot be
    read) is the desk's to fix by hand: logged, and the round still ends ``done``."""
    logger = get_run_logger()
    try:
        handoff = retried(lambda: routing.start_route(settings, code))
    except MotcuaError as exc:
        logger.warning("dossier %s was not handed on: %s", code, exc)
        return
    if handoff is not None:
        due = handoff.due_at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if handoff.due_at else "–"
        logger.info("dossier %s handed electronically from %s to %s, step due %s", code,
                    handoff.from_unit, handoff.to_unit, due)


def fail_round(settings: Settings, round_pk: int, error: BaseException, *,
               worker: str | None = None) -> None:
    if retried(lambda: intake_watch.fail(settings, round_pk, error, worker=worker)):
        get_run_logger().error("round %d failed: %s", round_pk, intake_watch.get(settings, round_pk).error)
    else:
        get_run_logger().error("this run of round %d failed (%s), but the round was handed to "
                               "another worker, whose run decides", round_pk, error)
