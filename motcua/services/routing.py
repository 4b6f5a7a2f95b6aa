"""Routing rules: what a unit may do to a dossier, and the record of it (DESIGN §1, docs/routing.md).

The one-stop rules (Decree 61/2018 as amended by Decree 107/2021) shape it: the desk receives,
a division handles, leadership approves, the desk returns the result, and every handoff is logged
with its time, as the paper control sheet does. A unit acts only on a dossier it *holds* (the last
handoff went to it and it received it; before any handoff, the desk holds what it received),
except ``receive``, which takes hold of one sent to it. Every rule is checked before anything is
written, and a refused action writes nothing (:class:`TransitionRefused`, exit 2); two officers
acting at the same moment are decided by the database (storage/repository/routing.py).

Statuses are the national ones; the human output shows their Vietnamese labels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from motcua.errors import BadArguments, TransitionRefused, UnknownDossier
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session
from motcua.storage.models import Dossier, Handoff
from motcua.text import clean
from motcua.times import VN_TZ, utcnow
from motcua.units import AgencyUnits, Route, Unit, agency_units

LABELS = {
    "received": "Đã tiếp nhận", "processing": "Đang giải quyết",
    "supplement_requested": "Yêu cầu bổ sung", "refused": "Từ chối giải quyết",
    "withdrawn": "Công dân rút hồ sơ", "stopped": "Dừng giải quyết",
    "resolved": "Đã có kết quả", "returned": "Đã trả kết quả",
}
STATUSES = tuple(LABELS)
ON_THE_WAY = ("received", "processing", "supplement_requested", "resolved")
SYSTEM = "motcua"  # who hands a digitized dossier on for the desk


@dataclass
class Loaded:
    """A dossier with its handoffs, its agency's units and its route (None: no route)."""

    dossier: Dossier
    handoffs: list[Handoff]
    units: AgencyUnits
    route: Route | None

    @property
    def last(self) -> Handoff | None:
        return self.handoffs[-1] if self.handoffs else None

    def holder(self) -> str | None:
        """The unit that holds the dossier; None while it is on its way to one."""
        if self.last is None:
            return self.units.desk(self.dossier.received_at).code
        return self.last.to_unit if self.last.received_at is not None else None

    def due_at(self) -> dt.datetime | None:
        """The dossier's due time: as registered, else its route's time from its receipt."""
        if self.dossier.due_at is not None or self.route is None:
            return self.dossier.due_at
        return self.units.add_working_days(self.dossier.received_at, self.route.total_days)

    def where(self) -> str:
        if self.last is not None and self.last.received_at is None:
            return f"it was sent to {self.last.to_unit} at {_vn(self.last.sent_at)} and not received yet"
        return f"{self.holder()} holds it"


def _vn(when: dt.datetime | None) -> str:
    return when.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if when else "–"


def _officer(name: str) -> str:
    name = clean(name or "").strip()
    if not name:
        raise BadArguments("the officer's name is empty", hint="pass --as \"Họ và tên\"")
    return name


def units_of(settings: Settings) -> AgencyUnits:
    return agency_units(settings.agency, settings.units_file)


def unit_in_force(settings: Settings, code: str, when: dt.datetime | None = None) -> Unit:
    units = units_of(settings)
    found = units.unit(code, when or utcnow())
    if found is None:
        known = ", ".join(u.code for u in units.units_on(when or utcnow()))
        raise BadArguments(f"no unit {code!r} in {settings.agency}", hint=f"units: {known}")
    return found


def procedures(settings: Settings) -> list[dict]:
    """``motcua route procedures``: each procedure's code, name and route (unit codes)."""
    return [{"code": r.code, "name": r.name, "route": r.units, "days": r.total_days}
            for r in units_of(settings).routes_on(utcnow())]


def load(session, settings: Settings, code: str) -> Loaded:
    dossier = repository.get_dossier(session, code=code)
    if dossier is None:
        raise UnknownDossier(f"no dossier {code!r}", hint="check the code (motcua dossier show CODE)")
    units = units_of(settings)
    return Loaded(dossier, repository.handoffs(session, dossier_pk=dossier.id), units,
                   units.route(dossier.procedure_code, dossier.received_at))


def _refuse(loaded: Loaded, what: str, why: str) -> TransitionRefused:
    return TransitionRefused(f"{loaded.dossier.code}: cannot {what}: {why}",
                             hint=f"its status is {loaded.dossier.status} and {loaded.where()}")


def _held_by(loaded: Loaded, unit: str, what: str, allowed: Sequence[str]) -> None:
    if loaded.dossier.status not in allowed:
        raise _refuse(loaded, what, f"not while it is {loaded.dossier.status}")
    if loaded.holder() != unit:
        raise _refuse(loaded, what, f"{unit} does not hold it")


def _write(session, loaded: Loaded, what: str, ok: bool) -> None:
    if not ok:
        session.rollback()
        raise _refuse(loaded, what, "someone else acted on it at the same moment")
    session.commit()


def _fresh(session, loaded: Loaded) -> Dossier:
    session.refresh(loaded.dossier)
    return loaded.dossier


def _next_step(loaded: Loaded, to: str) -> int | None:
    """The route step the receiving unit takes: its next place on the route after the current
    step, else its last place before (the dossier goes back for rework); None off the route."""
    if loaded.route is None:
        return None
    current = loaded.last.step if loaded.last is not None and loaded.last.step is not None else 0
    units = loaded.route.units
    after = [i for i in range(current + 1, len(units)) if units[i] == to]
    before = [i for i in range(0, current + 1) if units[i] == to]
    return after[0] if after else (before[-1] if before else None)


def _hand(session, loaded: Loaded, *, to: str, mode: str, by: str, at: dt.datetime,
          note: str | None = None, received_by: str | None = None) -> Handoff:
    step = _next_step(loaded, to)
    due = (loaded.units.add_working_days(at, loaded.route.steps[step].days)
           if step is not None and loaded.route is not None else None)
    return repository.add_handoff(
        session, dossier_pk=loaded.dossier.id, seq=(loaded.last.seq + 1) if loaded.last else 1,
        from_unit=loaded.holder() or "", to_unit=to, mode=mode, step=step, sent_at=at, sent_by=by,
        due_at=due, note=note, received_at=at if mode == "paper" else None,
        received_by=received_by if mode == "paper" else None)


def start_route(settings: Settings, code: str) -> Handoff | None:
    """When digitization ends, the desk hands the dossier electronically to its route's second
    unit, and the dossier is ``processing``; nothing when it was handed on already, has moved
    on, or its procedure has no route (then the desk routes it by hand)."""
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        loaded = load(session, settings, code)
        if loaded.handoffs or loaded.dossier.status != "received" or loaded.route is None:
            return None
        now = utcnow()
        if loaded.dossier.due_at is None:
            repository.set_due(session, dossier_pk=loaded.dossier.id, due_at=loaded.due_at())
        try:
            handoff = _hand(session, loaded, to=loaded.route.units[1], mode="electronic", by=SYSTEM,
                            at=now, note="hồ sơ đã số hóa")
            moved = repository.change_status(session, dossier_pk=loaded.dossier.id,
                                             from_status="received", to_status="processing", at=now,
                                             unit=loaded.route.units[0], officer=SYSTEM)
        except IntegrityError:  # a unit sent it by hand at the same moment
            session.rollback()
            return None
        if not moved:
            session.rollback()
            return None
        session.commit()
        return handoff


def receive(settings: Settings, code: str, *, unit: str, officer: str) -> Handoff:
    unit_in_force(settings, unit)
    officer = _officer(officer)
    with open_session(settings.db_url) as session:
        loaded = load(session, settings, code)
        last = loaded.last
        if loaded.dossier.status not in ON_THE_WAY:
            raise _refuse(loaded, "receive it", f"it is {loaded.dossier.status}")
        if last is None or last.to_unit != unit:
            raise _refuse(loaded, "receive it", f"it was not sent to {unit}")
        if last.received_at is not None:
            raise _refuse(loaded, "receive it", f"{unit} received it already at {_vn(last.received_at)}"
                          f" ({last.received_by or last.mode})")
        _write(session, loaded, "receive it",
               repository.mark_received(session, handoff_pk=last.id, at=utcnow(), by=officer))
        session.refresh(last)
        return last


def send(settings: Settings, code: str, *, unit: str, officer: str, to: str, paper: bool = False,
         note: str | None = None, received_by: str | None = None) -> Handoff:
    """Hand the dossier on. ``paper``: a handoff that already happened on paper, recorded as sent
    and received at once. A dossier the desk sends on after a supplement request is
    ``processing`` again, and the procedure's time counts again from then (Decree 61/2018)."""
    unit_in_force(settings, unit)
    unit_in_force(settings, to)
    officer = _officer(officer)
    if to == unit:
        raise BadArguments(f"{unit} cannot send a dossier to itself", hint="--to another unit")
    with open_session(settings.db_url) as session:
        loaded = load(session, settings, code)
        _held_by(loaded, unit, f"send it to {to}", ON_THE_WAY)
        now = utcnow()
        try:
            handoff = _hand(session, loaded, to=to, mode="paper" if paper else "electronic", by=officer,
                            at=now, note=clean(note).strip() if note else None,
                            received_by=clean(received_by).strip() if received_by else None)
        except IntegrityError:  # another officer sent it a moment ago
            session.rollback()
            raise _refuse(loaded, f"send it to {to}", "someone else acted on it at the same moment") from None
        status, moved = loaded.dossier.status, True
        desk = loaded.units.desk(now).code
        if status == "received":
            moved = repository.change_status(session, dossier_pk=loaded.dossier.id, from_status=status,
                                             to_status="processing", at=now, unit=unit, officer=officer)
        elif status == "supplement_requested" and unit == desk and loaded.route is not None:
            moved = repository.change_status(
                session, dossier_pk=loaded.dossier.id, from_status=status, to_status="processing",
                at=now, unit=unit, officer=officer, reason="hồ sơ đã được bổ sung",
                due_at=loaded.units.add_working_days(now, loaded.route.total_days))
        _write(session, loaded, f"send it to {to}", moved)
        return handoff


def change(settings: Settings, code: str, *, unit: str, officer: str, to_status: str,
           reason: str | None) -> Dossier:
    """``request-supplement``, ``refuse``, ``withdraw``, ``stop``: the holder takes the dossier
    off the normal path, with a reason."""
    allowed = {"supplement_requested": ("received", "processing"),
               "refused": ("received", "processing", "supplement_requested"),
               "withdrawn": ("received", "processing", "supplement_requested"),
               "stopped": ("received", "processing", "supplement_requested")}[to_status]
    unit_in_force(settings, unit)
    officer = _officer(officer)
    reason = clean(reason).strip() if reason else None
    if to_status in ("supplement_requested", "refused") and not reason:
        raise BadArguments(f"{to_status} needs a reason", hint="pass --reason TEXT")
    with open_session(settings.db_url) as session:
        loaded = load(session, settings, code)
        _held_by(loaded, unit, f"make it {to_status}", allowed)
        _write(session, loaded, f"make it {to_status}", repository.change_status(
            session, dossier_pk=loaded.dossier.id, from_status=loaded.dossier.status,
            to_status=to_status, at=utcnow(), unit=unit, officer=officer, reason=reason))
        return _fresh(session, loaded)


def check_resolvable(settings: Settings, code: str, *, unit: str, officer: str) -> None:
    """Before the result files go through the pipeline: may ``unit`` resolve the dossier?"""
    unit_in_force(settings, unit)
    _officer(officer)
    with open_session(settings.db_url) as session:
        _held_by(load(session, settings, code), unit, "resolve it", ("received", "processing"))


def mark_resolved(settings: Settings, code: str, *, unit: str, officer: str,
                  results: Sequence[str]) -> Dossier:
    """The result documents (ids) are archived: the dossier is ``resolved`` now."""
    officer = _officer(officer)
    with open_session(settings.db_url) as session:
        loaded = load(session, settings, code)
        _held_by(loaded, unit, "resolve it", ("received", "processing"))
        now = utcnow()
        _write(session, loaded, "resolve it", repository.change_status(
            session, dossier_pk=loaded.dossier.id, from_status=loaded.dossier.status,
            to_status="resolved", at=now, unit=unit, officer=officer, resolved_at=now,
            reason="kết quả: " + ", ".join(results)))
        return _fresh(session, loaded)


def return_result(settings: Settings, code: str, *, unit: str, officer: str) -> Dossier:
    """The desk hands the result back to the applicant (``returned_at``)."""
    if unit_in_force(settings, unit).kind != "desk":
        raise BadArguments(f"{unit} is not the one-stop desk", hint="only the desk returns results")
    officer = _officer(officer)
    with open_session(settings.db_url) as session:
        loaded = load(session, settings, code)
        _held_by(loaded, unit, "return it", ("resolved",))
        now = utcnow()
        _write(session, loaded, "return it", repository.change_status(
            session, dossier_pk=loaded.dossier.id, from_status="resolved", to_status="returned",
            at=now, unit=unit, officer=officer, returned_at=now))
        return _fresh(session, loaded)
