"""Dossier rows."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from motcua.agencies import AgencyPeriod
from motcua.manifest import DossierManifest
from motcua.storage.models import (
    Dossier,
)
from motcua.times import utcnow


def get_dossier(session: Session, *, code: str) -> Dossier | None:
    return session.exec(select(Dossier).where(Dossier.code == code)).first()


def register_dossier(
    session: Session, *, manifest: DossierManifest, agency: AgencyPeriod, received_at: dt.datetime
) -> Dossier:
    """The dossier's row, created the first time only: a dossier is registered once, and its
    agency code stays the one in force when it was received."""
    existing = get_dossier(session, code=manifest.code)
    if existing is not None:
        return existing
    dossier = Dossier(
        code=manifest.code,
        agency_code=agency.code,
        agency_name=agency.name,
        applicant_id=manifest.applicant.id,
        applicant_name=manifest.applicant.name,
        procedure_code=manifest.procedure.code,
        procedure_name=manifest.procedure.name,
        channel=manifest.channel,
        received_at=received_at,
        due_at=manifest.due_at,
        registered_at=utcnow(),
    )
    session.add(dossier)
    session.flush()
    return dossier


