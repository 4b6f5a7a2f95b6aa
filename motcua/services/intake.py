"""Submit local files as a dossier: what a desk PC does, with the ``intake`` identity.

The files go to ``intake/{code}/`` and a ``dossier.json`` last (it marks the folder complete,
DESIGN §2). ``motcua digitize``, the demo and the benchmark submit this way, so they take the
same path as every other dossier.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from motcua.errors import BadArguments
from motcua.manifest import Applicant, DocumentEntry, DossierManifest, Procedure
from motcua.settings import Settings
from motcua.storage import intake
from motcua.storage.s3 import make_client


def manifest_for_files(
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None = None,
    procedure: str | None = None,
    doc_type: str | None = None,
) -> DossierManifest:
    return DossierManifest(
        code=code,
        applicant=Applicant(id=applicant),
        procedure=Procedure(code=procedure),
        documents=[DocumentEntry(file=f.name, type=doc_type) for f in files],
    )


def submit_files(settings: Settings, manifest: DossierManifest, files: Sequence[Path]) -> list[str]:
    """Upload ``files`` and then ``manifest`` into the dossier's intake folder; the keys written.
    Two files with one name would overwrite each other: :class:`BadArguments`."""
    names = [f.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BadArguments(f"two files have the same name: {', '.join(duplicates)}",
                           hint="rename one of them; a dossier folder holds each name once")
    return intake.upload_dossier(make_client(settings, "intake"), settings.intake_bucket,
                                 manifest.code, files, manifest)
