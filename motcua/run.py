"""Run the digitization flow from the command line, against the Prefect server of the stack.

This is an edge: it turns a local list of scans into an intake folder (uploaded with the
``intake`` identity, as a desk PC would) and runs ``digitize-dossier`` so that the run appears in
the Prefect UI of the embedded server (or the server given by ``MOTCUA_PREFECT_API_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from motcua.dossier import Applicant, DocumentEntry, DossierManifest, Procedure
from motcua.errors import ConfigurationError
from motcua.settings import Settings


def prefect_api_url(settings: Settings) -> str:
    if settings.prefect_api_url:
        return settings.prefect_api_url
    from motcua.infra.stack import read_state

    state = read_state(settings)
    url = state.prefect_api_url if state else None
    if not url:
        raise ConfigurationError("the Prefect server is not running", hint="run `motcua up`")
    return url


def prefect_ui_url(settings: Settings) -> str:
    return prefect_api_url(settings).removesuffix("/api")


def run_dossier(settings: Settings, code: str, *, tags: Sequence[str] = ()):
    """Run ``digitize-dossier`` for ``intake/{code}/`` on the configured Prefect server."""
    # Quiet, offline defaults for the Prefect client in this process (before importing it).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect import tags as prefect_tags
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from motcua.flows.digitize import digitize_dossier

    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(settings)}):
        try:
            with prefect_tags(*tags):
                return digitize_dossier(code, settings)
        finally:
            # Send the run's logs to the server now, while it is known to be up: the log worker
            # would otherwise flush at interpreter exit, when a test's server may be gone.
            APILogWorker.drain_all(timeout=10)


def run_fixity(settings: Settings, *, renew_within_days: int):
    """Run ``fixity-audit`` once, now, on the configured Prefect server."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from motcua.flows.fixity import fixity_audit

    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(settings)}):
        try:
            return fixity_audit(settings, renew_within_days)
        finally:
            APILogWorker.drain_all(timeout=10)


def serve_schedules(settings: Settings) -> None:
    """Serve the scheduled flows (blocks): the nightly fixity audit. Scheduled runs build their
    settings from the environment, so the data directory is passed on through it."""
    os.environ["MOTCUA_DATA_DIR"] = str(settings.data_dir)
    os.environ["PREFECT_API_URL"] = prefect_api_url(settings)
    from prefect import serve

    from motcua.flows.fixity import nightly_deployment

    serve(nightly_deployment())


def manifest_for_files(
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None,
    procedure: str | None,
    doc_type: str | None,
) -> DossierManifest:
    return DossierManifest(
        code=code,
        applicant=Applicant(id=applicant),
        procedure=Procedure(code=procedure),
        documents=[DocumentEntry(file=f.name, type=doc_type) for f in files],
    )


def digitize_files(
    settings: Settings,
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None = None,
    procedure: str | None = None,
    doc_type: str | None = None,
):
    from motcua.storage import intake
    from motcua.storage.s3 import make_client

    manifest = manifest_for_files(code, files, applicant=applicant, procedure=procedure,
                                  doc_type=doc_type)
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ConfigurationError("two files have the same name", hint="rename one of them")
    intake.upload_dossier(make_client(settings, "intake"), settings.intake_bucket, code, files, manifest)
    tags = [f"procedure:{procedure}"] if procedure else []
    return run_dossier(settings, code, tags=tags)
