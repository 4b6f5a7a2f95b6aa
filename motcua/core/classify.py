"""A document's type from its text, by rules (the `index` step's pure core); what the applicant or
the desk declared always wins over this guess.

Titles first: Vietnamese administrative documents are headed by their kind in capitals (GIẤY
CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYẾT ĐỊNH, ĐƠN ĐĂNG KÝ BIẾN ĐỘNG …), so the longest title of the
taxonomy found in a capitalised line near the top decides; a type that *refines* it (a decision
about an EIA report) takes over when its keywords occur. Without a title, the type whose body
keywords occur most, else ``khac``. Body text that merely mentions a title ("bản gốc Giấy chứng
nhận") is not in capitals and does not count.
"""

from __future__ import annotations

from collections.abc import Mapping

from motcua.doc_types import OTHER, DocType
from motcua.text import clean

TITLE_LINES = 25


def _title_lines(text: str) -> list[str]:
    lines = []
    for line in clean(text).splitlines()[:TITLE_LINES]:
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
            lines.append(line.upper())
    return lines


def classify(text: str, types: Mapping[str, DocType]) -> str:
    """The code of ``text``'s type among ``types``."""
    body = clean(text).lower()
    best, best_len = None, 0
    for line in _title_lines(text):
        for t in types.values():
            for title in t.titles:
                if title in line and len(title) > best_len:
                    best, best_len = t.code, len(title)
        if best is not None:
            break  # the first capitalised line that names a type is the title
    if best is not None:
        for t in types.values():
            if t.refines == best and any(k in body for k in t.keywords):
                return t.code
        return best
    scores = {t.code: sum(k in body for k in t.keywords) for t in types.values() if t.keywords}
    code, score = max(scores.items(), key=lambda kv: kv[1], default=(OTHER, 0))
    return code if score else OTHER
