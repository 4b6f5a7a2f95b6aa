"""`motcua demo`: the whole job on the embedded stack, on sample dossiers made here.

Three dossiers are rendered (:mod:`motcua.samples.documents`) and dropped into the intake bucket
with the ``intake`` identity, as a desk PC would; the watcher and the worker that ``motcua up``
started digitize them (with ``MOTCUA_SERVICE=false``, the flow runs in this process instead).
One file (:data:`~motcua.samples.documents.DAMAGED_SAMPLE`) is damaged on purpose: it ends in
quarantine with its reason while the rest of its dossier is archived.
"""

from __future__ import annotations

from collections.abc import Callable

from motcua.agencies import agency_on
from motcua.flows.launch import follow, run_dossier
from motcua.manifest import DossierManifest
from motcua.outcomes import DossierOutcome
from motcua.samples.documents import make_demo_dossiers
from motcua.services.intake import submit_files
from motcua.settings import Settings
from motcua.times import VN_TZ, utcnow


def run_demo(settings: Settings, *, say: Callable[[str], None]) -> list[DossierOutcome]:
    now = utcnow()
    agency = agency_on(settings.agency, now)
    folder = settings.data_dir / "demo" / now.astimezone(VN_TZ).strftime("%Y%m%d")
    say(f"rendering sample dossiers into {folder}")
    samples = make_demo_dossiers(folder, agency_code=agency.code, received=now)
    submitted = []
    for sample in samples:
        files = sorted(p for p in sample.folder.iterdir() if p.name != "dossier.json")
        manifest = DossierManifest.model_validate(sample.manifest)
        since = utcnow()
        written = submit_files(settings, manifest, files)
        say(f"dropped {len(files)} file(s) into intake/{sample.code}/")
        submitted.append((sample.code, written, since))
    if not settings.service:
        return [run_dossier(settings, code) for code, _, _ in submitted]
    return [follow(settings, code, written, since=since, say=say)
            for code, written, since in submitted]
