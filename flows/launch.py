"""Run motcua's flows from a command, a script or a test, against the stack's Prefect server.

``digitize-dossier`` and ``fixity-audit`` run in the calling process, reporting to the Prefect
server of the embedded stack (or the one ``MOTCUA_PREFECT_API_URL`` names), so every run,
task run, log and artifact appears in its UI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from motcua.infra.state import prefect_api_url
from motcua.outcomes import DossierOutcome, FixityResult
from motcua.services.intake import manifest_for_files, submit_files
from motcua.settings import Settings


@contextmanager
def _on_server(settings: Settings) -> Iterator[None]:
    # Quiet, offline defaults for the Prefect client in this process (before importing it).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(settings)}):
        try:
            yield
        finally:
            # Send the run's logs to the server now, while it is known to be up: the log worker
            # would otherwise flush at interpreter exit, when a test's server may be gone.
            APILogWorker.drain_all(timeout=10)


def run_dossier(settings: Settings, code: str, *, tags: Sequence[str] = ()) -> DossierOutcome:
    """Run ``digitize-dossier`` for ``intake/{code}/``."""
    with _on_server(settings):
        from prefect import tags as prefect_tags

        from motcua.flows.digitize import digitize_dossier

        with prefect_tags(*tags):
            return digitize_dossier(code, settings)


def digitize_files(
    settings: Settings,
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None = None,
    procedure: str | None = None,
    doc_type: str | None = None,
) -> DossierOutcome:
    """Submit local files as dossier ``code`` (intake identity), then digitize it."""
    manifest = manifest_for_files(code, files, applicant=applicant, procedure=procedure,
                                  doc_type=doc_type)
    submit_files(settings, manifest, files)
    return run_dossier(settings, code, tags=[f"procedure:{procedure}"] if procedure else [])


def run_fixity(settings: Settings, *, renew_within_days: int) -> FixityResult:
    """Run ``fixity-audit`` once, now."""
    with _on_server(settings):
        from motcua.flows.fixity import fixity_audit

        return fixity_audit(settings, renew_within_days)


def serve_schedules(settings: Settings) -> None:
    """Serve the scheduled flows (blocks): the nightly fixity audit. Scheduled runs build their
    settings from the environment, so the data directory is passed on through it."""
    os.environ["MOTCUA_DATA_DIR"] = str(settings.data_dir)
    os.environ["PREFECT_API_URL"] = prefect_api_url(settings)
    from prefect import serve

    from motcua.flows.fixity import nightly_deployment

    serve(nightly_deployment())
