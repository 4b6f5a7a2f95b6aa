"""Time, once: stored times are UTC, people read Vietnamese time (DESIGN §2).

Vietnam has kept UTC+07:00 without daylight saving since 1975, so a fixed offset is exact and
needs no time-zone database; the name is what schedules (Prefect's cron) and reports print.
"""

from __future__ import annotations

import datetime as dt

VN_TZ_NAME = "Asia/Ho_Chi_Minh"
VN_TZ = dt.timezone(dt.timedelta(hours=7), VN_TZ_NAME)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC: the only kind of time the database accepts."""
    return dt.datetime.now(dt.UTC)


def vn_date(when: dt.datetime) -> dt.date:
    """The calendar date in Vietnam at ``when`` (an aware time): what decides a dossier's
    agency code, its archive year and its KPI period."""
    return when.astimezone(VN_TZ).date()
