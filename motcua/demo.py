"""`motcua demo`: the whole job on the embedded stack, on sample dossiers made here.

Three dossiers are rendered (``motcua.samples``), dropped into the intake bucket with the
``intake`` identity as a desk PC would, and put through the ``digitize-dossier`` flow on the
embedded Prefect server. One file is damaged on purpose: it ends in quarantine with its reason
while the rest of its dossier is archived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from motcua.dossier import DossierManifest
from motcua.settings import Settings


def run_demo(settings: Settings, *, say: Callable[[str], None]) -> list:
    from motcua.agencies import VN_TZ, agency_on
    from motcua.run import run_dossier
    from motcua.samples import make_demo_dossiers
    from motcua.storage import intake
    from motcua.storage.s3 import make_client

    now = dt.datetime.now(dt.UTC)
    agency = agency_on(settings.agency, now)
    folder = settings.data_dir / "demo" / now.astimezone(VN_TZ).strftime("%Y%m%d")
    say(f"rendering sample dossiers into {folder}")
    samples = make_demo_dossiers(folder, agency_code=agency.code, received=now)
    client = make_client(settings, "intake")
    outcomes = []
    for sample in samples:
        files = sorted(p for p in sample.folder.iterdir() if p.name != "dossier.json")
        manifest = DossierManifest.model_validate(sample.manifest)
        intake.upload_dossier(client, settings.intake_bucket, sample.code, files, manifest)
        say(f"dropped {len(files)} file(s) into intake/{sample.code}/; digitizing")
        tags = [f"procedure:{manifest.procedure.code}"] if manifest.procedure.code else []
        outcomes.append(run_dossier(settings, sample.code, tags=tags))
    return outcomes

