"""The auditor's query over the archived text (``motcua search``).

Every word or quoted phrase of the query must appear; case never counts; diacritics count unless
``fold`` (then "quyen su dung dat" finds "quyền sử dụng đất", "dang ky" finds "Đăng ký", and
"hoá" and "hóa" match: DESIGN §7). One result per document, best first, with a snippet whose
matching words are marked, and the honest total of matching documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from motcua.core.searchtext import parse_query, snippet
from motcua.doc_types import check_type
from motcua.errors import BadArguments
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import migrate, open_session
from motcua.text import clean
from motcua.times import VN_TZ


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), VN_TZ)


def search(settings: Settings, query: str, *, fold: bool = False, subject: str | None = None,
           doc_type: str | None = None, agency: str | None = None, date_from: dt.date | None = None,
           date_to: dt.date | None = None, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """``{total, ranked, results: [{dossier, document_id, type, archive_key, snippet, score}]}``
    (``ranked``: how many of the ``total`` were ranked, see ``repository.RANK_AT_MOST``);
    ``date_from``/``date_to``: the dossiers' received dates in Vietnam, inclusive."""
    parsed = parse_query(query, folded=fold)
    if parsed.empty:
        raise BadArguments("the query has no word to search for", hint='e.g. motcua search "quyền sử dụng đất"')
    if date_from and date_to and date_from > date_to:
        raise BadArguments(f"--from {date_from} is after --to {date_to}", hint="swap them")
    if limit < 1:
        raise BadArguments("--limit must be at least 1", hint="--limit 20")
    filters = repository.Filters(
        subject_id=clean(subject).strip() if subject else None,
        doc_type=check_type(doc_type, settings.doc_types_file), agency_code=agency,
        received_from=_day_start(date_from) if date_from else None,
        received_before=_day_start(date_to + dt.timedelta(days=1)) if date_to else None)
    migrate(settings.db_url)
    with open_session(settings.db_url) as session:
        found = repository.search(session, phrases=parsed.phrases, folded=parsed.folded,
                                  filters=filters, limit=limit, offset=offset)
        results = [{"dossier": h.dossier.code, "document_id": h.document.document_id,
                    "type": h.document.doc_type, "kind": h.document.kind,
                    "archive_key": h.document.archive_key, "snippet": snippet(h.body, parsed),
                    "score": round(h.score, 4)} for h in found.hits]
    return {"total": found.total, "ranked": found.ranked, "results": results}
