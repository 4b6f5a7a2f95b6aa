"""Seeing a dossier: ``motcua dossier show`` (and the control sheet), ``motcua route inbox``.

A dossier's *steps* are read from its handoffs: the desk's first step runs from receipt to the
first handoff, and each handoff starts the receiving unit's step, which ends when that unit
sends the dossier on. A step is overdue when it ended after its due time, or is still open
past it. Times in the JSON are ISO 8601 in Vietnamese time (+07:00).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from motcua.services import routing
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session
from motcua.storage.models import Document, Dossier, Handoff
from motcua.times import VN_TZ, utcnow

COMPONENT_STATUS = {"archived": "digitized", "quarantined": "quarantined",
                    "processing": "processing", "sign_pending": "sign_pending"}


def iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(VN_TZ).isoformat(timespec="seconds") if when else None


def _late(due: dt.datetime | None, ended: dt.datetime | None, now: dt.datetime) -> bool:
    return due is not None and (ended or now) > due


def _steps(loaded, now: dt.datetime, closed_at: dt.datetime | None) -> list[dict[str, Any]]:
    """The route's steps as they happened; ``closed_at``: when the dossier left the path
    (resolved, refused, ...), which ends a step still open then."""
    d, hs = loaded.dossier, loaded.handoffs
    steps = []
    if loaded.route is not None:
        due = loaded.units.add_working_days(d.received_at, loaded.route.steps[0].days)
        ended = hs[0].sent_at if hs else None
        steps.append({"unit": loaded.route.units[0], "started_at": d.received_at, "ended_at": ended,
                      "due_at": due, "overdue": _late(due, ended or closed_at, now)})
    for i, h in enumerate(hs):
        ended = hs[i + 1].sent_at if i + 1 < len(hs) else None
        steps.append({"unit": h.to_unit, "started_at": h.received_at or h.sent_at, "ended_at": ended,
                      "due_at": h.due_at, "overdue": _late(h.due_at, ended or closed_at, now)})
    return steps


def _handoff(h: Handoff, overdue: bool) -> dict[str, Any]:
    return {"seq": h.seq, "from": h.from_unit, "to": h.to_unit, "mode": h.mode,
            "sent_at": iso(h.sent_at), "received_at": iso(h.received_at), "sent_by": h.sent_by,
            "received_by": h.received_by, "note": h.note, "due_at": iso(h.due_at), "overdue": overdue}


def _document(doc: Document) -> dict[str, Any]:
    return {"document_id": doc.document_id, "name": doc.source_name, "kind": doc.kind,
            "status": COMPONENT_STATUS.get(doc.status, doc.status), "pages": doc.pages,
            "archive_key": doc.archive_key, "signature_level": doc.signature_level,
            "reason": doc.reason, "added_in_round": doc.intake_round}


def show(settings: Settings, code: str) -> dict[str, Any]:
    """Everything about one dossier (:class:`~motcua.errors.UnknownDossier` if none)."""
    migrate(settings.db_url)
    now = utcnow()
    with open_session(settings.db_url) as session:
        loaded = routing.load(session, settings, code)
        d = loaded.dossier
        docs = repository.documents_of(session, dossier_pk=d.id)
        by_pk = {doc.id: doc.document_id for doc in docs}
        changes = repository.status_changes(session, dossier_pk=d.id)
        closed_at = changes[-1].at if changes and d.status not in routing.ON_THE_WAY else None
        steps = _steps(loaded, now, closed_at)
        offset = 1 if loaded.route is not None else 0
        handoffs = [_handoff(h, steps[i + offset]["overdue"]) for i, h in enumerate(loaded.handoffs)]
        events = _events(loaded, changes, repository.step_events_of(session, dossier_pk=d.id), by_pk)
        reused = [{"document_id": doc.document_id, "name": ev.component, "kind": "component",
                   "status": "reused", "pages": doc.pages, "archive_key": doc.archive_key,
                   "signature_level": doc.signature_level, "reason": None, "source": ev.source,
                   "added_in_round": None}
                  for ev, doc in repository.reuse_events(session, dossier_pk=d.id)]
    results = [doc for doc in docs if doc.kind == "result"]
    archived_results = [doc for doc in results if doc.status == "archived"]
    result = archived_results[-1] if archived_results else None
    due = loaded.due_at()
    return {
        "code": d.code, "status": d.status, "status_label": routing.LABELS.get(d.status, d.status),
        "agency": {"code": d.agency_code, "name": d.agency_name},
        "applicant": {"id": d.applicant_id, "name": d.applicant_name},
        "procedure": {"code": d.procedure_code, "name": d.procedure_name or (
            loaded.route.name if loaded.route else None)},
        "channel": d.channel, "received_at": iso(d.received_at), "due_at": iso(due),
        "resolved_at": iso(d.resolved_at), "returned_at": iso(d.returned_at),
        "on_time": (d.resolved_at <= due) if d.resolved_at and due else None,
        "route": loaded.route.units if loaded.route else None, "holder": loaded.holder(),
        "components": [_document(doc) for doc in docs if doc.kind != "result"] + reused,
        "result": ({"document_id": result.document_id, "archive_key": result.archive_key,
                    "kind": result.kind} if result else None),
        "results": [_document(doc) for doc in results],
        "steps": [{**s, **{k: iso(s[k]) for k in ("started_at", "ended_at", "due_at")}} for s in steps],
        "handoffs": handoffs, "events": events,
        "units": {u.code: u.name for u in loaded.units.units},
    }


def _events(loaded, changes, step_events, by_pk: dict[int, str]) -> list[dict[str, Any]]:
    events: list[tuple[dt.datetime, dict[str, Any]]] = []
    for e in step_events:
        events.append((e.started_at, {"kind": "step", "step": e.step, "status": e.status,
                                      "document_id": by_pk.get(e.document_pk), "error": e.error,
                                      "ended_at": iso(e.finished_at)}))
    for c in changes:
        events.append((c.at, {"kind": "status", "from": c.from_status, "to": c.to_status,
                              "unit": c.unit, "by": c.officer, "reason": c.reason}))
    for h in loaded.handoffs:
        events.append((h.sent_at, {"kind": "sent", "from": h.from_unit, "to": h.to_unit,
                                   "mode": h.mode, "by": h.sent_by, "note": h.note}))
        if h.received_at is not None and h.mode != "paper":
            events.append((h.received_at, {"kind": "received", "unit": h.to_unit,
                                           "by": h.received_by}))
    events.sort(key=lambda pair: pair[0])
    return [{"at": iso(at), **body} for at, body in events]


def inbox(settings: Settings, unit: str) -> list[dict[str, Any]]:
    """What ``unit`` must act on: sent to it and not yet received, or received and not yet sent
    on; oldest ``sent_at`` first (for the desk, then what it received and has not handed on)."""
    found = routing.unit_in_force(settings, unit)
    migrate(settings.db_url)
    now = utcnow()
    units = routing.units_of(settings)
    items = []
    with open_session(settings.db_url) as session:
        for d, h in repository.last_handoffs_to(session, unit=unit, open_statuses=routing.ON_THE_WAY):
            items.append(_item(d, h.from_unit, h.sent_at, h.received_at, h.due_at, now))
        if found.kind == "desk":
            for d in repository.never_handed(session, open_statuses=routing.ON_THE_WAY):
                route = units.route(d.procedure_code, d.received_at)
                due = units.add_working_days(d.received_at, route.steps[0].days) if route else d.due_at
                items.append(_item(d, None, None, d.received_at, due, now))
    return items


def _item(d: Dossier, source: str | None, sent_at, received_at, due_at, now) -> dict[str, Any]:
    return {"dossier": d.code, "from": source, "sent_at": iso(sent_at),
            "received_at": iso(received_at), "due_at": iso(due_at),
            "overdue": due_at is not None and now > due_at, "status": d.status,
            "procedure": d.procedure_code}
