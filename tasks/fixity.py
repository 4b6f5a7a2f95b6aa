"""The fixity audit's steps as Prefect tasks, each around one call of
:mod:`motcua.services.fixity`."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from motcua.errors import SignPending
from motcua.outcomes import DocumentFixity, FixityResult
from motcua.services import fixity
from motcua.settings import Settings
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="list-archived", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=IO_RETRY_DELAYS,
      retry_condition_fn=retry_only_transient)
def list_archived(settings: Settings) -> list[tuple[str, str | None]]:
    return fixity.archived_keys(settings)


@task(name="verify-archived", task_run_name="verify/{archive_key}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def verify_archived(settings: Settings, archive_key: str) -> DocumentFixity:
    return fixity.verify(settings, archive_key)


@task(name="renew-timestamp", task_run_name="renew/{archive_key}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def renew_timestamp(settings: Settings, archive_key: str, within_days: int) -> DocumentFixity:
    """Renew the document timestamp if due; a TSA that stays down leaves the file as it is (the
    next run retries) and says so in a note."""
    try:
        result = fixity.renew_if_due(settings, archive_key, within_days)
    except SignPending as exc:
        return DocumentFixity(archive_key=archive_key, status="ok", note=f"renewal waits: {exc}")
    if result.renewed:
        get_run_logger().info("%s: document timestamp renewed, TSA certificate now until %s",
                              archive_key, result.tsa_expires_at)
    return result


@task(name="write-fixity-report", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def write_fixity_report(settings: Settings, result: FixityResult) -> str:
    return fixity.write_report(settings, result)
