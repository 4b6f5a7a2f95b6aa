"""The round a `digitize-dossier` run processes (motcua/services/intake_watch.py): taken before
any file is read, closed with the run's outcome, or failed with what went wrong and what to do."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from motcua.outcomes import DossierOutcome
from motcua.services import intake_watch
from motcua.services.intake_watch import RoundRef
from motcua.settings import Settings
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="take-round", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=IO_RETRY_DELAYS,
      retry_condition_fn=retry_only_transient)
def take_round(settings: Settings, dossier_code: str, round_pk: int | None, worker: str
               ) -> tuple[RoundRef, list[str]]:
    """The round this run processes and its files: the one a worker claimed for it
    (``round_pk``), or, for a run started by hand, a round it opens for the dossier's new files."""
    ref = (intake_watch.get(settings, round_pk) if round_pk is not None
           else intake_watch.open_own_round(settings, dossier_code, worker=worker))
    if flow_run.id:
        intake_watch.note_flow_run(settings, ref.pk, str(flow_run.id))
    keys = intake_watch.round_files(settings, ref.pk)
    get_run_logger().info("dossier %s: round %d, %d file(s)%s", dossier_code, ref.number, len(keys),
                          " (added after the dossier was processed)" if ref.number > 1 else "")
    return ref, keys


@task(name="close-round", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=IO_RETRY_DELAYS,
      retry_condition_fn=retry_only_transient)
def close_round(settings: Settings, round_pk: int, outcome: DossierOutcome) -> None:
    intake_watch.close(settings, round_pk, outcome)


@task(name="fail-round", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=IO_RETRY_DELAYS,
      retry_condition_fn=retry_only_transient)
def fail_round(settings: Settings, round_pk: int, error: BaseException) -> None:
    intake_watch.fail(settings, round_pk, error)
    get_run_logger().error("round %d failed: %s", round_pk, intake_watch.get(settings, round_pk).error)
