"""Units of an agency and the routes dossiers take between them: data with effective dates,
like agencies (DESIGN §6), never constants.

A *unit* is the one-stop desk (kind ``desk``), a specialist division, the leadership, or another
agency that takes part in an inter-agency dossier (kind ``external``). A *route* belongs to a
procedure (TTHC) code: the units a dossier passes in order, each with the working days its step
is allowed; it starts and ends at the desk, and the sum of its steps is the procedure's time,
hence the dossier's ``due_at``. Both come from ``motcua/data/units.json`` unless
``MOTCUA_UNITS_FILE`` names the agency's own file; a file that breaks these rules is refused when
it is read, so a route that does not end at the desk never reaches a dossier.

Time limits run on a *working-day clock*: the clock stops on Saturdays, Sundays and the listed
holidays (whole days, Vietnamese dates) and runs through every hour of a working day, so 1 day
from Friday 10:00 is Monday 10:00 and 0.5 day from Monday 10:00 is Monday 22:00. Office hours are
not modelled: a step due at 22:00 is late at 22:01.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from motcua.errors import ConfigurationError
from motcua.times import VN_TZ, vn_date

UnitKind = Literal["desk", "division", "leadership", "external"]
KINDS: tuple[str, ...] = ("desk", "division", "leadership", "external")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: UnitKind
    valid_from: dt.date
    valid_to: dt.date | None

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Step:
    unit: str
    days: float  # working days this step is allowed


@dataclass(frozen=True)
class Route:
    code: str  # the procedure's code
    name: str
    steps: tuple[Step, ...]
    valid_from: dt.date
    valid_to: dt.date | None

    @property
    def units(self) -> list[str]:
        return [s.unit for s in self.steps]

    @property
    def total_days(self) -> float:
        return sum(s.days for s in self.steps)

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class AgencyUnits:
    agency: str
    units: tuple[Unit, ...]
    routes: tuple[Route, ...]
    holidays: frozenset[dt.date]

    def units_on(self, when: dt.datetime) -> list[Unit]:
        day = vn_date(when)
        return [u for u in self.units if u.in_force(day)]

    def unit(self, code: str, when: dt.datetime) -> Unit | None:
        day = vn_date(when)
        return next((u for u in self.units if u.code == code and u.in_force(day)), None)

    def desk(self, when: dt.datetime) -> Unit:
        return next(u for u in self.units_on(when) if u.kind == "desk")

    def routes_on(self, when: dt.datetime) -> list[Route]:
        day = vn_date(when)
        return [r for r in self.routes if r.in_force(day)]

    def route(self, procedure_code: str | None, when: dt.datetime) -> Route | None:
        """The route of ``procedure_code`` in force at ``when`` (the dossier's received time)."""
        day = vn_date(when)
        return next((r for r in self.routes if r.code == procedure_code and r.in_force(day)), None)

    def working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.datetime, days: float) -> dt.datetime:
        """``start`` plus ``days`` on the working-day clock (module docstring), in UTC."""
        remaining = dt.timedelta(days=days)
        t = start.astimezone(VN_TZ)
        while remaining > dt.timedelta(0):
            midnight = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(0), VN_TZ)
            if self.working_day(t.date()):
                if remaining <= midnight - t:
                    t += remaining
                    break
                remaining -= midnight - t
            t = midnight
        return t.astimezone(dt.UTC)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _parse(agency: str, raw: dict, source: str) -> AgencyUnits:
    units = tuple(Unit(code=u["code"], name=u["name"], kind=u["kind"],
                       valid_from=_date(u["valid_from"]), valid_to=_date(u.get("valid_to")))
                  for u in raw["units"])
    routes = tuple(Route(code=p["code"], name=p["name"],
                         steps=tuple(Step(unit=s["unit"], days=float(s["days"])) for s in p["steps"]),
                         valid_from=_date(p["valid_from"]), valid_to=_date(p.get("valid_to")))
                   for p in raw["procedures"])
    holidays = frozenset(dt.date.fromisoformat(d) for d in raw.get("holidays", ()))
    found = AgencyUnits(agency=agency, units=units, routes=routes, holidays=holidays)
    _check(found, source)
    return found


def _check(found: AgencyUnits, source: str) -> None:
    def refuse(problem: str) -> None:
        raise ConfigurationError(f"{source}, agency {found.agency!r}: {problem}",
                                 hint="fix the units file (docs/routing.md describes it)")

    kinds = {u.code: u.kind for u in found.units}
    for u in found.units:
        if u.kind not in KINDS:
            refuse(f"unit {u.code} has kind {u.kind!r}, not one of {', '.join(KINDS)}")
    if "desk" not in kinds.values():
        refuse("no unit of kind desk (the one-stop desk)")
    for r in found.routes:
        if len(r.steps) < 2:
            refuse(f"the route of {r.code} has fewer than two steps")
        for s in r.steps:
            if s.unit not in kinds:
                refuse(f"the route of {r.code} names unit {s.unit}, which is not listed")
            if s.days < 0:
                refuse(f"the route of {r.code} gives {s.unit} {s.days} days")
        if kinds[r.steps[0].unit] != "desk" or kinds[r.steps[-1].unit] != "desk":
            refuse(f"the route of {r.code} must start and end at the one-stop desk")


@cache
def _load(path: str | None) -> dict[str, AgencyUnits]:
    if path is None:
        source, text = "motcua/data/units.json", files("motcua").joinpath("data/units.json").read_text("utf-8")
    else:
        source = path
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read the units file {path}: {exc}",
                                     hint="check MOTCUA_UNITS_FILE") from exc
    try:
        raw = json.loads(text)
        return {agency: _parse(agency, body, source) for agency, body in raw["agencies"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{source} is not a units file: {type(exc).__name__}: {exc}",
                                 hint="compare it with motcua/data/units.json") from exc


def agency_units(agency: str, units_file: Path | None = None) -> AgencyUnits:
    """The units and routes of ``agency`` (the settings' ``agency``)."""
    found = _load(str(units_file) if units_file else None).get(agency)
    if found is None:
        raise ConfigurationError(f"the units file has no agency {agency!r}",
                                 hint="add the agency's units and routes (docs/routing.md)")
    return found
