"""Agency names and codes are data with effective dates, never constants (DESIGN §6).

Provinces merge and departments are reorganised (Sóc Trăng became part of Cần Thơ in 2025); a
dossier keeps the code and name in force on the day it was received, so archive keys and reports
of old dossiers never change when the map does.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from motcua.errors import ConfigurationError
from motcua.times import vn_date


@dataclass(frozen=True)
class AgencyPeriod:
    code: str
    name: str
    valid_from: dt.date
    valid_to: dt.date | None


@cache
def _registry() -> dict[str, tuple[AgencyPeriod, ...]]:
    raw = json.loads(files("motcua").joinpath("data/agencies.json").read_text("utf-8"))
    return {
        agency: tuple(
            AgencyPeriod(
                code=p["code"],
                name=p["name"],
                valid_from=dt.date.fromisoformat(p["valid_from"]),
                valid_to=dt.date.fromisoformat(p["valid_to"]) if p["valid_to"] else None,
            )
            for p in periods
        )
        for agency, periods in raw["agencies"].items()
    }


def agency_on(agency: str, when: dt.datetime) -> AgencyPeriod:
    """The code and name of ``agency`` in force at ``when`` (judged by the Vietnamese date)."""
    periods = _registry().get(agency)
    if periods is None:
        raise ConfigurationError(
            f"unknown agency {agency!r}",
            hint=f"MOTCUA_AGENCY must be one of {', '.join(sorted(_registry()))}",
        )
    day = vn_date(when)
    for period in periods:
        if period.valid_from <= day and (period.valid_to is None or day <= period.valid_to):
            return period
    raise ConfigurationError(
        f"agency {agency!r} had no code in force on {day.isoformat()}",
        hint="add the period to motcua/data/agencies.json",
    )
