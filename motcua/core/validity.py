"""What a paper says about itself: its number, issuer, issue date and how long it is valid (the
`index` step's pure core, for reuse).

Read where the text states it, else left to the type's typical validity (:func:`valid_until`):

- number: "Số: 20/KH-STNMT", else a register number ("Số vào sổ cấp GCN: CS 01128");
- issue date: the date of the place-and-date line ("Cần Thơ, ngày 22 tháng 4 năm 2022"), else the
  first date of the text;
- issuer: the agency in the header (ỦY BAN NHÂN DÂN …, SỞ …, CỤC …), else the signing block
  ("TM. ỦY BAN NHÂN DÂN TỈNH");
- end of validity: "có hiệu lực đến ngày …", "thời hạn … đến ngày …", "thời hạn (sử dụng): lâu
  dài" (no end), "có thời hạn 05 năm" / "thời hạn: 10 năm" (from the issue date).

Conservative like :mod:`motcua.core.extract`: a wrong end date would offer an expired paper for
reuse, or refuse a valid one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from motcua.core.extract import _DATE_SLASHES, _DATE_WORDS, _DOC_NUMBER
from motcua.text import clean

_PLACE_DATE = re.compile(r"^[^\n,]{2,40},\s*ngày\b.*$", re.MULTILINE | re.IGNORECASE)
_REGISTER = re.compile(r"[Ss]ố vào sổ[^:\n]{0,30}:\s*([A-ZĐ]{0,4}\s?\d{2,8})")
_ISSUERS = ("ỦY BAN NHÂN DÂN", "UBND", "SỞ ", "BỘ ", "CỤC ", "CHI CỤC", "PHÒNG ", "VĂN PHÒNG",
            "CÔNG AN", "TỔNG CỤC")
_UNTIL = re.compile(r"(?:hiệu lực|thời hạn)[^.\n]{0,40}?đến\s+(ngày\s+[^.\n;]{6,30})", re.IGNORECASE)
_PERMANENT = re.compile(r"(?:thời hạn|hiệu lực)[^.\n:;]{0,20}:?\s*lâu dài", re.IGNORECASE)
_YEARS = re.compile(r"(?:có\s+)?thời hạn[^.\n\d]{0,20}?(\d{1,2})\s*năm", re.IGNORECASE)


@dataclass(frozen=True)
class Validity:
    number: str | None
    issuer: str | None
    issued_on: dt.date | None
    valid_to: dt.date | None  # stated end; None when not stated or permanent
    permanent: bool  # the text says lâu dài


def _first_date(text: str) -> dt.date | None:
    found = []
    for pattern in (_DATE_WORDS, _DATE_SLASHES):
        for m in pattern.finditer(text):
            try:
                found.append((m.start(), dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))))
            except ValueError:
                continue
    return min(found)[1] if found else None


def _agency(line: str) -> str | None:
    upper = line.strip()
    letters = [c for c in upper if c.isalpha()]
    if len(letters) < 4 or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return None
    name = re.sub(r"^(TM|KT|TL|TUQ)\.\s*", "", upper)
    return name if name.startswith(_ISSUERS) else None  # "QUYỀN SỞ HỮU …" is a title


def _issuer(lines: list[str]) -> str | None:
    """The header's issuing agency: the last of its agency lines (the parent comes first: UBND
    THÀNH PHỐ CẦN THƠ / SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG), else the signing block's."""
    found = None
    for line in lines[:8]:
        if (name := _agency(line)) is not None:
            found = name
        elif found is not None:
            return found
    if found is not None:
        return found
    return next((name for line in lines[-8:] if (name := _agency(line)) is not None), None)


def _add_years(day: dt.date, years: float) -> dt.date:
    whole = int(years)
    try:
        shifted = day.replace(year=day.year + whole)
    except ValueError:  # 29 February
        shifted = day.replace(year=day.year + whole, day=28)
    return shifted + dt.timedelta(days=round((years - whole) * 365))


def read_validity(text: str) -> Validity:
    text = clean(text)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    number = next(iter(_DOC_NUMBER.findall(text)), None) or next(iter(_REGISTER.findall(text)), None)
    place = _PLACE_DATE.search(text)
    issued = _first_date(place.group(0)) if place else None
    issued = issued or _first_date(text)
    permanent = bool(_PERMANENT.search(text))
    valid_to = None
    if (until := _UNTIL.search(text)) is not None:
        valid_to = _first_date(until.group(1))
    elif not permanent and issued and (years := _YEARS.search(text)) is not None:
        valid_to = _add_years(issued, int(years.group(1)))
    return Validity(number=number.strip() if number else None, issuer=_issuer(lines),
                    issued_on=issued, valid_to=valid_to, permanent=permanent and valid_to is None)


def valid_until(found: Validity, typical_years: float | None, archived_on: dt.date) -> dt.date | None:
    """The last day the paper is valid: as stated, else the type's typical validity from its
    issue date (or the day it was archived); None when it has no end (lâu dài)."""
    if found.valid_to is not None:
        return found.valid_to
    if found.permanent or typical_years is None:
        return None
    return _add_years(found.issued_on or archived_on, typical_years) - dt.timedelta(days=1)
