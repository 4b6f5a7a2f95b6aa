"""`motcua import dossiers FILE.csv`: the one-stop system's history, so that the KPIs cover the
dossiers motcua never saw (docs/kpi.md, "Data from outside").

A bad row is reported with its line in the file (the header is line 1) and why, and skipped; the
good rows are kept. Importing the same file again changes nothing (storage/repository/records.py
compares before it writes). A code motcua received itself is *merged*: only its record (arrival,
intake start, desk officer, rating) is written; its documents, reuse events and handoffs stay
its facts.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from motcua.agencies import agency_on
from motcua.errors import BadArguments, ConfigurationError
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session
from motcua.times import VN_TZ

COLUMNS = ("code", "procedure", "channel", "received_at", "arrived_at", "intake_started_at", "due_at",
           "resolved_at", "returned_at", "desk_officer", "components", "components_digitized",
           "components_reused", "components_reused_national", "result", "handoffs_electronic",
           "handoffs_paper", "rating")
CHANNELS = ("counter", "online", "post")
RESULTS = ("none", "issued", "digitized")
TIMES = ("received_at", "arrived_at", "intake_started_at", "due_at", "resolved_at", "returned_at")
COUNTS = ("components", "components_digitized", "components_reused", "components_reused_national",
          "handoffs_electronic", "handoffs_paper")
COMMIT_EVERY = 1000
MAX_COUNT = 10_000
"""More components or handoffs than this in one dossier is a typing error, not a dossier."""
YEARS = (1990, 2100)
"""Times outside these years are typing errors (and years 1 or 9999 cannot be stored)."""


class BadRow(ValueError):
    """Why a row is not imported."""


@dataclass(frozen=True)
class Bad:
    line: int
    code: str | None
    reason: str


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def _time(name: str, value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRow(f"{name} {value!r} is not an ISO 8601 time (2022-06-01T08:30:00+07:00)") from None
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise BadRow(f"{name} {value!r} is out of range (years {YEARS[0]}–{YEARS[1]})")
    if when.tzinfo is None:
        when = when.replace(tzinfo=VN_TZ)  # a time without an offset is Vietnamese time
    return when.astimezone(dt.UTC)


def _count(name: str, value: str, low: int = 0, high: int = MAX_COUNT) -> int | None:
    if not value:
        return None
    digits = value[1:] if value[:1] in "+-" else value
    if not (digits.isascii() and digits.isdigit()):  # int() would take "1_000" and other scripts' digits
        raise BadRow(f"{name} {value!r} is not a whole number")
    number = int(value)
    if not low <= number <= high:
        raise BadRow(f"{name} {number} is out of range ({low}–{high})")
    return number


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise BadRow(f"{name} {value!r} is not one of {', '.join(allowed)}")
    return value


def parse_row(cells: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the values to store, or :class:`BadRow`."""
    v = {k: _nfc(cells.get(k) or "") for k in COLUMNS}
    if not v["code"]:
        raise BadRow("code is missing")
    if len(v["code"]) > 64 or len(v["procedure"]) > 32 or len(v["desk_officer"]) > 255:
        raise BadRow("code (64), procedure (32) or desk_officer (255) is too long")
    if not v["received_at"]:
        raise BadRow("received_at is missing")
    out: dict[str, Any] = {"code": v["code"], "procedure_code": v["procedure"] or None,
                           "desk_officer": v["desk_officer"] or None}
    out |= {k: _time(k, v[k]) for k in TIMES}
    out |= {k: _count(k, v[k]) for k in COUNTS}
    out["rating"] = _count("rating", v["rating"], 1, 5)
    out["channel"] = _one_of("channel", v["channel"], CHANNELS) or "unknown"
    out["result"] = _one_of("result", v["result"], RESULTS)
    known = out["components"]
    done = (out["components_digitized"] or 0) + (out["components_reused"] or 0)
    if known is not None and done > known:
        raise BadRow(f"components_digitized + components_reused ({done}) > components ({known})")
    national = out["components_reused_national"] or 0
    if national > (out["components_reused"] or 0):  # an unknown reuse cannot hold national ones
        raise BadRow(f"components_reused_national ({national}) > "
                     f"components_reused ({out['components_reused'] if out['components_reused'] is not None else 'empty'})")
    for later, earlier in (("resolved_at", "received_at"), ("returned_at", "received_at"),
                           ("intake_started_at", "arrived_at")):
        if out[later] is not None and out[earlier] is not None and out[later] < out[earlier]:
            raise BadRow(f"{later} is before {earlier}")
    out["status"] = "returned" if out["returned_at"] else "resolved" if out["resolved_at"] else "received"
    return out


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str] | None, str | None]]]:
    """The header and, per row, (first line, cells or None, why not)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadArguments(f"cannot read {path}: {exc.strerror}", hint="motcua import dossiers FILE.csv") from exc
    with handle:
        try:
            reader = csv.reader(handle)
            header = [_nfc(h) for h in next(reader, [])]
            if not header:
                raise BadArguments(f"{path} is empty", hint=f"the first line names the columns: {','.join(COLUMNS)}")
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise BadArguments(f"{path} lacks the columns {', '.join(missing)}",
                                   hint=f"the header row must name {','.join(COLUMNS)}")
            rows, line = [], reader.line_num + 1
            for cells in reader:
                first, line = line, reader.line_num + 1
                if not cells:
                    continue  # a blank line (a line of commas is a row, and a bad one)
                if len(cells) != len(header):
                    rows.append((first, None, f"{len(cells)} cells where the header has {len(header)}"))
                else:
                    rows.append((first, dict(zip(header, cells, strict=True)), None))
        except UnicodeDecodeError as exc:
            raise BadArguments(f"{path} is not UTF-8 (byte {exc.start})",
                               hint="save the file as CSV UTF-8") from exc
        except csv.Error as exc:
            raise BadArguments(f"{path} is not CSV: {exc}") from exc
    return header, rows


def import_dossiers(settings: Settings, path: Path, *, say: Callable[[str], None] = lambda _m: None
                    ) -> dict[str, Any]:
    """Load ``path``; the report of what happened to each row (JSON of the CLI)."""
    _header, rows = _rows(path)
    agency_on(settings.agency, dt.datetime.now(dt.UTC))  # an unknown MOTCUA_AGENCY stops here, not per row
    migrate(settings.db_url)
    tally = {"created": 0, "updated": 0, "unchanged": 0, "merged": 0}
    bad: list[Bad] = []
    seen: dict[str, int] = {}
    with open_session(settings.db_url) as session:

        def store(batch: list[repository.Imported]) -> None:
            """The batch at once; if the database refuses it, row by row, to name the row."""
            try:
                with session.begin_nested():
                    outcomes = repository.put_imported(session, batch)
            except SQLAlchemyError:
                outcomes = []
                for row in batch:
                    try:
                        with session.begin_nested():
                            outcomes += repository.put_imported(session, [row])
                    except SQLAlchemyError as exc:
                        why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                        bad.append(Bad(row.line, row.values["code"], f"the database refused it: {why}"))
            for outcome in outcomes:
                tally[outcome] += 1
            session.commit()

        batch: list[repository.Imported] = []
        for i, (line, cells, why_not) in enumerate(rows, 1):
            code = _nfc(cells.get("code") or "") if cells else None
            try:
                if why_not:
                    raise BadRow(why_not)
                values = parse_row(cells)
                if values["code"] in seen:
                    raise BadRow(f"code {values['code']} is already on line {seen[values['code']]}")
                seen[values["code"]] = line
                try:
                    agency = agency_on(settings.agency, values["received_at"])
                except ConfigurationError as exc:  # received before the agency had a code
                    raise BadRow(exc.message) from None
                batch.append(repository.Imported(values=values, agency_code=agency.code,
                                                 agency_name=agency.name, source_file=path.name, line=line))
            except BadRow as exc:
                bad.append(Bad(line, code or None, str(exc)))
            if len(batch) >= COMMIT_EVERY:
                store(batch)
                batch = []
                say(f"{i:,} of {len(rows):,} rows")
        if batch:
            store(batch)
    bad.sort(key=lambda b: b.line)
    return {"file": str(path), "rows": len(rows), **tally, "bad": [b.__dict__ for b in bad]}
