"""The `fixity-audit` flow: is the archive still what was signed, and will it stay verifiable?

Scheduled nightly (``motcua serve``; Asia/Ho_Chi_Minh), or run at once with ``motcua fixity``.
For every archived document it runs the auditor's checks (motcua/services/audit.py: signature,
chain, level, SHA-256 fixity, current version, retention), with the read-only ``auditor``
identity. B-LTA documents that passed, and whose last document timestamp's TSA certificate
expires within ``renew_within_days``, get a new document timestamp as a new object version
(motcua/services/fixity.py).

The result (counts and one row per document that is not clean) is a Prefect table artifact and a
JSON report in the ``reports`` bucket (``fixity/<UTC timestamp>.json``).
"""

from __future__ import annotations

import dataclasses

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.schedules import Cron
from prefect.task_runners import ThreadPoolTaskRunner

from motcua.outcomes import FixityResult
from motcua.settings import Settings
from motcua.tasks.fixity import list_archived, renew_timestamp, verify_archived, write_fixity_report
from motcua.times import VN_TZ_NAME

NIGHTLY_CRON = "30 1 * * *"  # 01:30 in Vietnam, after the working day's dossiers


@flow(name="fixity-audit", task_runner=ThreadPoolTaskRunner(max_workers=2),
      validate_parameters=False)
def fixity_audit(settings: Settings | None = None, renew_within_days: int = 365) -> FixityResult:
    """Audit every archived document; renew B-LTA timestamps due within ``renew_within_days``.

    ``settings`` empty (a scheduled run): built here from ``MOTCUA_*`` in the environment of the
    process that serves the schedule (``motcua serve`` sets ``MOTCUA_DATA_DIR``).
    """
    settings = settings or Settings()
    keys = list_archived(settings)
    futures = {key: verify_archived.submit(settings, key) for key, _ in keys}
    results = {key: f.result() for key, f in futures.items()}
    for key, level in keys:
        if level == "B-LTA" and results[key].status == "ok":
            results[key] = renew_timestamp(settings, key, renew_within_days)
    result = FixityResult.of(list(results.values()))
    result = dataclasses.replace(result, report_key=write_fixity_report(settings, result))
    create_table_artifact(
        key="fixity-audit",
        table=[{"archive_key": d.archive_key, "status": d.status, "failed": ", ".join(d.failed_checks),
                "renewed": d.renewed, "note": d.note or ""} for d in result.documents]
        or [{"archive_key": "-", "status": "all ok", "failed": "", "renewed": False, "note": ""}],
        description=f"{result.checked} checked: {result.ok} ok, {result.failed} failed, "
        f"{result.indeterminate} indeterminate, {result.renewed} renewed",
    )
    get_run_logger().info("fixity: %d checked, %d ok, %d failed, %d indeterminate, %d renewed",
                          result.checked, result.ok, result.failed, result.indeterminate,
                          result.renewed)
    return result


def nightly_deployment():
    """The scheduled form of :func:`fixity_audit`, for ``motcua serve``."""
    return fixity_audit.to_deployment(
        name="nightly", schedule=Cron(NIGHTLY_CRON, timezone=VN_TZ_NAME),
        parameters={"renew_within_days": 365},
        description="Re-verify every archived document; renew B-LTA timestamps before expiry.",
    )
