"""Dossiers and records loaded from the one-stop system (services/import_dossiers.py).

Every write compares first and changes only what differs, so importing the same file twice
changes nothing, not even the import time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from motcua.storage.models import Dossier, DossierRecord
from motcua.times import utcnow

DOSSIER_FIELDS = ("procedure_code", "channel", "received_at", "due_at", "resolved_at", "returned_at",
                  "status")
"""What an import sets on a dossier it created (never on one motcua received itself)."""

RECORD_FIELDS = ("arrived_at", "intake_started_at", "desk_officer", "rating", "components",
                 "components_digitized", "components_reused", "components_reused_national", "result",
                 "handoffs_electronic", "handoffs_paper")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.astimezone(dt.UTC) == b.astimezone(dt.UTC)
    return a == b


def _set(row: Any, values: dict[str, Any], fields: tuple[str, ...]) -> bool:
    changed = False
    for name in fields:
        if not _same(getattr(row, name), values[name]):
            setattr(row, name, values[name])
            changed = True
    return changed


def put_imported(session: Session, *, values: dict[str, Any], agency_code: str, agency_name: str,
                 source_file: str, line: int) -> str:
    """One imported row: ``created``, ``updated``, ``unchanged``, or ``merged`` (a dossier motcua
    received itself: only its record is written, its own rows stay its facts)."""
    dossier = session.exec(select(Dossier).where(Dossier.code == values["code"])).first()
    outcome = "unchanged"
    if dossier is None:
        dossier = Dossier(code=values["code"], agency_code=agency_code, agency_name=agency_name,
                          registered_at=utcnow(), source="import",
                          **{k: values[k] for k in DOSSIER_FIELDS})
        session.add(dossier)
        session.flush()
        outcome = "created"
    elif dossier.source == "import":
        # a corrected received date may fall under another agency code (the 2025 merger)
        if _set(dossier, values | {"agency_code": agency_code, "agency_name": agency_name},
                DOSSIER_FIELDS + ("agency_code", "agency_name")):
            session.add(dossier)
            outcome = "updated"
    record = session.exec(select(DossierRecord).where(DossierRecord.dossier_id == dossier.id)).first()
    if record is None:
        record = DossierRecord(dossier_id=dossier.id, source_file=source_file, line=line,
                               imported_at=utcnow(), **{k: values[k] for k in RECORD_FIELDS})
        session.add(record)
        outcome = "created" if outcome == "created" else "updated"
    elif _set(record, values, RECORD_FIELDS):
        record.source_file, record.line, record.imported_at = source_file, line, utcnow()
        session.add(record)
        outcome = "updated"
    if dossier.source != "import" and outcome != "unchanged":
        outcome = "merged"
    session.flush()
    return outcome


def record_of(session: Session, dossier_pk: int) -> DossierRecord | None:
    return session.exec(select(DossierRecord).where(DossierRecord.dossier_id == dossier_pk)).first()
