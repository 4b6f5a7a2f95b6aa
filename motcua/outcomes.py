"""What a run reports: typed outcomes, below every layer that makes or shows them.

A document's outcome is a *result*, not an exception: ``archived``, ``quarantined`` (bad input,
with its reason) or ``sign_pending`` (waiting for the TSA or the token). The flows return these,
the command line prints them, and scripts read their JSON (``motcua digitize --json``), whose
field names are a contract.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

STEPS = ("scan", "ocr", "assemble", "sign", "archive", "index")
"""The digitization steps whose durations an outcome reports, in order."""


class _StepLike(Protocol):
    step: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class DocumentOutcome:
    source: str
    status: str  # archived | quarantined | sign_pending
    document_id: str | None = None
    archive_key: str | None = None
    sha256: str | None = None
    pages: int | None = None
    ocr_confidence: float | None = None
    signature_level: str | None = None
    doc_type: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    quarantine_key: str | None = None
    already_archived: bool = False
    duplicate_of: str | None = None  # another file of the dossier with the same bytes
    added_later: bool = False  # dropped after the dossier was processed (a later round)
    durations: dict[str, float] = field(default_factory=dict)  # step → seconds

    @classmethod
    def of(cls, row: Any, steps: Iterable[_StepLike] = (), *, already: bool = False) -> DocumentOutcome:
        """The outcome of a document row (``storage.models.Document``) and its step events; the
        last completed attempt of each step gives its duration."""
        durations: dict[str, float] = {}
        for event in steps:
            if event.status == "completed" and event.finished_at and event.step in STEPS:
                durations[event.step] = round((event.finished_at - event.started_at).total_seconds(), 3)
        return cls(
            source=row.source_name, status=row.status, document_id=row.document_id,
            archive_key=row.archive_key, sha256=row.sha256, pages=row.pages,
            ocr_confidence=row.ocr_confidence, signature_level=row.signature_level,
            doc_type=row.doc_type, reason=row.reason, reason_code=row.reason_code,
            quarantine_key=row.quarantine_key, already_archived=already,
            added_later=getattr(row, "intake_round", 1) > 1, durations=durations,
        )

    def to_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k not in ("reason", "reason_code")}
        if self.status != "archived":
            data["reason"] = f"{self.reason_code}: {self.reason}" if self.reason_code else self.reason
        return data


@dataclass(frozen=True)
class ManifestOutcome:
    """What became of a dossier's ``dossier.json`` when it could not be used."""

    status: str  # quarantined
    reason_code: str
    reason: str
    quarantine_key: str

    def to_json(self) -> dict:
        return {"status": self.status, "reason": f"{self.reason_code}: {self.reason}",
                "quarantine_key": self.quarantine_key}


@dataclass(frozen=True)
class DossierOutcome:
    dossier: str
    agency_code: str
    documents: list[DocumentOutcome]
    flow_run_id: str | None
    manifest: ManifestOutcome | None = None  # None: the manifest was used (or there was none)
    intake_round: int = 1  # > 1: files dropped after the dossier was processed

    @property
    def ok(self) -> bool:
        return self.manifest is None and all(d.status == "archived" for d in self.documents)

    def to_json_text(self) -> str:
        """Everything, for :meth:`from_json_text` (the service stores a round's outcome so that
        ``motcua digitize`` can print it from another process)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json_text(cls, text: str) -> DossierOutcome:
        data = json.loads(text)
        manifest = data.pop("manifest", None)
        documents = [DocumentOutcome(**d) for d in data.pop("documents")]
        return cls(**data, documents=documents,
                   manifest=ManifestOutcome(**manifest) if manifest else None)

    def to_json(self) -> dict:
        data = {
            "dossier": self.dossier,
            "agency": self.agency_code,
            "flow_run_id": self.flow_run_id,
            "round": self.intake_round,
            "documents": [d.to_json() for d in self.documents],
        }
        if self.manifest is not None:
            data["manifest"] = self.manifest.to_json()
        return data


@dataclass(frozen=True)
class DocumentFixity:
    archive_key: str
    status: str  # ok | failed | indeterminate
    failed_checks: list[str] = field(default_factory=list)
    renewed: bool = False
    tsa_expires_at: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FixityResult:
    checked: int
    ok: int
    failed: int
    indeterminate: int
    renewed: int
    report_key: str | None
    documents: list[DocumentFixity]

    @classmethod
    def of(cls, documents: list[DocumentFixity], *, report_key: str | None = None) -> FixityResult:
        """Counts over every document; only those that are not clean (or were renewed, or carry
        a note) are listed."""
        count = {s: sum(d.status == s for d in documents) for s in ("ok", "failed", "indeterminate")}
        return cls(checked=len(documents), ok=count["ok"], failed=count["failed"],
                   indeterminate=count["indeterminate"], renewed=sum(d.renewed for d in documents),
                   report_key=report_key,
                   documents=[d for d in documents if d.status != "ok" or d.renewed or d.note])

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SignatureVerdict:
    """A signature a submitted PDF already carried, as judged when it arrived (see
    ``storage.models.SubmittedSignature``). Recorded facts, never a reason to refuse the file."""

    position: int
    field_name: str
    signer: str
    level: str
    verdict: str  # valid | invalid | indeterminate
    intact: bool
    valid: bool
    trusted: bool
    chain_problem: str | None
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    modification_level: str | None

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("signing_time", "timestamp_time"):
            data[key] = data[key].isoformat() if data[key] else None
        return data
