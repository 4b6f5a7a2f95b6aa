"""Run motcua's flows from a command, a script or a test, against the stack's Prefect server.

Two ways to digitize a dossier, one path for its files (DESIGN §4):

- :func:`submit_and_follow` (``motcua digitize``): upload the files with the intake identity,
  as a desk PC does, then follow the round the watcher opens for them to its end, on whatever
  worker runs it, and return its outcome as stored in the database;
- :func:`run_dossier` / :func:`digitize_files`: run ``digitize-dossier`` in this process on the
  dossier's files not processed yet (tests, benchmarks and scripts that need their own settings);
  it opens its own round, so it can never process a file a worker also processes.

Either way the run reports to the Prefect server of the embedded stack (or the one
``MOTCUA_PREFECT_API_URL`` names), so every run, task run, log and artifact appears in its UI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from motcua.errors import DossierError
from motcua.infra.state import prefect_api_url
from motcua.outcomes import DossierOutcome, FixityResult
from motcua.services import intake_watch
from motcua.services.intake import manifest_for_files, submit_files
from motcua.settings import Settings
from motcua.times import utcnow


@contextmanager
def on_server_settings(settings: Settings) -> Iterator[None]:
    """Prefect settings for runs of this process: the stack's API, no flow-run heartbeat (in
    Prefect 3.9.1 it adds ~1 s to every run: flows/service.py)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(settings),
                                     PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@contextmanager
def on_server(settings: Settings) -> Iterator[None]:
    """:func:`on_server_settings`, then the run's logs sent to the server before leaving."""
    from prefect.logging.handlers import APILogWorker

    with on_server_settings(settings):
        try:
            yield
        finally:
            # Send the run's logs to the server now, while it is known to be up: the log worker
            # would otherwise flush at interpreter exit, when a test's server may be gone.
            APILogWorker.drain_all(timeout=10)


def run_dossier(settings: Settings, code: str) -> DossierOutcome:
    """Run ``digitize-dossier`` in this process on the new files of ``intake/{code}/`` (the
    run tags itself with the dossier's agency and procedure)."""
    with on_server(settings):
        from motcua.flows.digitize import digitize_dossier

        return digitize_dossier(code, settings)


def digitize_files(
    settings: Settings,
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None = None,
    procedure: str | None = None,
    doc_type: str | None = None,
    kind: str = "component",
) -> DossierOutcome:
    """Submit local files as dossier ``code`` (intake identity), then digitize it."""
    manifest = manifest_for_files(code, files, applicant=applicant, procedure=procedure,
                                  doc_type=doc_type, kind=kind)
    submit_files(settings, manifest, files)
    return run_dossier(settings, code)


def submit_and_follow(
    settings: Settings,
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None = None,
    procedure: str | None = None,
    doc_type: str | None = None,
    kind: str = "component",
    timeout: float = 3600.0,
    say=lambda _message: None,
) -> DossierOutcome:
    """Submit local files as dossier ``code`` with the intake identity, then follow the round
    the watcher opens for them until a worker has finished it: ``motcua digitize``, and
    ``motcua route resolve`` for a result (``kind="result"``)."""
    manifest = manifest_for_files(code, files, applicant=applicant, procedure=procedure,
                                  doc_type=doc_type, kind=kind)
    since = utcnow()
    written = submit_files(settings, manifest, files)
    say(f"dropped {len(written) - 1} file(s) into intake/{code}/; waiting for the watcher")
    return follow(settings, code, written, since=since, timeout=timeout, say=say)


def follow(settings: Settings, code: str, written: Sequence, *, since,
           timeout: float = 3600.0, say=lambda _message: None) -> DossierOutcome:
    """Wait for the round that took ``written`` (what :func:`submit_files` wrote, at or after
    ``since``) to end, and return its outcome as the run stored it."""
    first = written[0]  # a scan, or the manifest of a folder without any
    done = intake_watch.wait_until_done(settings, code, first.key, first.etag, since=since,
                                        timeout=timeout, say=say)
    if done.state != "done" or done.outcome is None:
        raise DossierError(f"the run of dossier {code} failed: {done.error}",
                           hint="see the run in the Prefect UI (motcua status shows where)",
                           code="run_failed")
    return DossierOutcome.from_json_text(done.outcome)


def run_fixity(settings: Settings, *, renew_within_days: int) -> FixityResult:
    """Run ``fixity-audit`` once, now."""
    with on_server(settings):
        from motcua.flows.fixity import fixity_audit

        return fixity_audit(settings, renew_within_days)


def run_nightly_kpis(settings: Settings, *, today: str = "") -> dict:
    """Run ``nightly-kpis`` once, now, as of ``today`` (YYYY-MM-DD; empty: the real today)."""
    with on_server(settings):
        from motcua.flows.kpi import nightly_kpis

        return nightly_kpis(settings, today)


def serve_schedules(settings: Settings) -> None:
    """Serve motcua's deployments (blocks): the nightly KPIs and fixity audit, and the runs by hand
    (flows/deployments.py). Their runs build their settings from the environment, so the data
    directory is passed on through it."""
    os.environ["MOTCUA_DATA_DIR"] = str(settings.data_dir)
    os.environ["PREFECT_API_URL"] = prefect_api_url(settings)  # for the runs' processes
    from prefect import serve

    from motcua.flows.deployments import deployments

    # and for this one: Prefect read its settings when it was imported, before the line above
    with on_server_settings(settings):
        serve(*deployments())
