"""Identifiers found in the OCR text of a document (the `index` step's pure core).

What a one-stop desk needs to find a paper again: the citizen's CCCD (12 digits), dossier codes in
the national format, document numbers ("Số: 20/KH-STNMT", "Nghị định số 107/2021/NĐ-CP"), dates
("ngày 22 tháng 4 năm 2022", "ngày 09/7/2021") and tax codes. Extraction works on cleaned text
(:func:`motcua.text.clean`), so OCR look-alikes such as ``Ð`` or ``⁄`` no longer hide a match.

The patterns are deliberately conservative: a false identifier in the reuse index would tell a
desk officer that the state holds a paper it does not.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from motcua.text import clean

IdentifierKind = Literal["cccd", "dossier_code", "document_number", "date", "tax_code"]


@dataclass(frozen=True, order=True)
class Identifier:
    kind: IdentifierKind
    value: str


# 12 digits, not part of a longer run of digits or of a digit group such as 0123.456.789; a
# full stop that ends the sentence ("… số CCCD 094300001111.") is no digit group.
_CCCD = re.compile(r"(?<!\d)(?<!\d\.)\d{12}(?!\d|\.\d)")
# Tax code: 10 digits, optionally "-" and 3 digits for a branch.
_TAX_CODE = re.compile(r"(?:MST|[Mm]ã số thuế)\s*:?\s*(\d{10}(?:-\d{3})?)(?!\d)")
# National dossier code: 000.00.20.H53-220601-0001 (agency code, YYMMDD, sequence).
# A stray "." before it or "-" after it is OCR speckle, not a longer code.
_DOSSIER_CODE = re.compile(r"(?<!\w)(?<!\d\.)(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4})(?!\w|-\w)")
# Document numbers: "Số: 20/KH-STNMT", "số 107/2021/NĐ-CP", "Số 09/ĐK".
_UPPER = "A-ZĐÂĂÊÔƠƯ"
_DOC_NUMBER = re.compile(
    rf"[Ss]ố\s*:?\s*(\d{{1,6}}[a-z]?(?:/\d{{4}})?/[{_UPPER}][{_UPPER}0-9]*(?:-[{_UPPER}0-9]+)*)"
)
# "năm" read with the wrong tone ("nắm", "nằm") is still the year.
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+n[ăắằẳẵặ]m\s+(\d{4})", re.IGNORECASE)
_DATE_SLASHES = re.compile(r"ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)", re.IGNORECASE)


def _date(day: str, month: str, year: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def extract_identifiers(text: str) -> list[Identifier]:
    """All identifiers in ``text``, each once, sorted by kind then value."""
    text = clean(text)
    found: set[Identifier] = set()
    found.update(Identifier("cccd", m) for m in _CCCD.findall(text))
    found.update(Identifier("tax_code", m) for m in _TAX_CODE.findall(text))
    found.update(Identifier("dossier_code", m) for m in _DOSSIER_CODE.findall(text))
    found.update(Identifier("document_number", m) for m in _DOC_NUMBER.findall(text))
    for pattern in (_DATE_WORDS, _DATE_SLASHES):
        for day, month, year in pattern.findall(text):
            if (iso := _date(day, month, year)) is not None:
                found.add(Identifier("date", iso))
    return sorted(found)
