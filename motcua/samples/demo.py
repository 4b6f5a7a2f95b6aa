"""`motcua demo`: the whole job on the embedded stack, on sample dossiers made here.

Three dossiers are rendered (:mod:`motcua.samples.documents`), dropped into the intake bucket
with the ``intake`` identity as a desk PC would, and put through the ``digitize-dossier`` flow on
the embedded Prefect server. One file
(:data:`~motcua.samples.documents.DAMAGED_SAMPLE`) is damaged on purpose: it ends in
quarantine with its reason while the rest of its dossier is archived.
"""

from __future__ import annotations

from collections.abc import Callable

from motcua.agencies import agency_on
from motcua.flows.launch import run_dossier
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
    outcomes = []
    for sample in samples:
        files = sorted(p for p in sample.folder.iterdir() if p.name != "dossier.json")
        manifest = DossierManifest.model_validate(sample.manifest)
        submit_files(settings, manifest, files)
        say(f"dropped {len(files)} file(s) into intake/{sample.code}/; digitizing")
        tags = [f"procedure:{manifest.procedure.code}"] if manifest.procedure.code else []
        outcomes.append(run_dossier(settings, sample.code, tags=tags))
    return outcomes
