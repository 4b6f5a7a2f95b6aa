"""Submit local files as a dossier: what a desk PC does, with the ``intake`` identity.

The files go to ``intake/{code}/`` and a ``dossier.json`` last (it marks the folder complete,
DESIGN §2). ``motcua digitize``, the demo and the benchmark submit this way, so they take the
same path as every other dossier.

Local file names are not trusted: each file is put under a safe, unique key name
(:func:`motcua.text.unique_key_names`) and the manifest entry keeps the name it was submitted
under, so ``dong1\\ndong2.png``, ``..\\..\\evil.png`` or two files called ``kết-quả.png`` (NFC and
NFD) are all accepted, kept apart and shown by their own names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from motcua.manifest import Applicant, DocumentEntry, DossierManifest, Procedure
from motcua.settings import Settings
from motcua.storage import intake
from motcua.storage.s3 import make_client
from motcua.text import unique_key_names


def manifest_for_files(
    code: str,
    files: Sequence[Path],
    *,
    applicant: str | None = None,
    procedure: str | None = None,
    doc_type: str | None = None,
    kind: str = "component",
) -> DossierManifest:
    """The manifest of ``files``: each under its safe key name, with its own name kept."""
    keys = unique_key_names([f.name for f in files])
    return DossierManifest(
        code=code,
        applicant=Applicant(id=applicant),
        procedure=Procedure(code=procedure),
        documents=[DocumentEntry(file=key, name=f.name if key != f.name else None, type=doc_type,
                                 kind=kind)
                   for key, f in zip(keys, files, strict=True)],
    )


def submit_files(settings: Settings, manifest: DossierManifest, files: Sequence[Path]
                 ) -> list[intake.Written]:
    """Upload ``files`` under their safe, unique key names (the same ones
    :func:`manifest_for_files` lists), then ``manifest``; what was written, manifest last."""
    names = unique_key_names([f.name for f in files])
    return intake.upload_dossier(make_client(settings, "intake"), settings.intake_bucket,
                                 manifest.code, list(zip(names, files, strict=True)), manifest)
