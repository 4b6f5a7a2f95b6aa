"""The search copy of a text and of a query (the `index` step's and ``motcua search``'s pure core).

One tokenizer for both databases: a text is cut into words here (runs of letters and digits,
lower-cased, NFC), and SQLite FTS5 and PostgreSQL full-text search both index those words
separated by spaces. So "20/KH-STNMT" is the three words ``20 kh stnmt`` on either backend, and a
search gives the same documents on both. The *folded* copy (:func:`motcua.text.fold`: no tone
marks, ``đ`` → ``d``, "hoá" = "hóa") is indexed beside it for ``--fold``.

A query is a list of *phrases*, all of which must appear: a quoted part ("quyền sử dụng") is one
phrase, and so is every other word, which may itself be several words ("20/KH-STNMT",
"094300006666").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from motcua.text import clean, fold

_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" and punctuation separate words
SNIPPET_CHARS = 80


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(clean(text))]


def folded_words(text: str) -> list[str]:
    return [fold(w) for w in words(text)]


@dataclass(frozen=True)
class Query:
    phrases: tuple[tuple[str, ...], ...]  # each a run of words; all must appear
    folded: bool

    @property
    def empty(self) -> bool:
        return not self.phrases


def parse_query(text: str, *, folded: bool = False) -> Query:
    phrases = []
    for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', clean(text)):
        found = tuple(folded_words(quoted or bare) if folded else words(quoted or bare))
        if found:
            phrases.append(found)
    return Query(tuple(dict.fromkeys(phrases)), folded)


def snippet(body: str, query: Query, *, mark: tuple[str, str] = ("«", "»")) -> str:
    """A short passage of ``body`` around the first phrase found, its words marked."""
    body = clean(body)
    spans = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(body)]
    keys = [fold(w) if query.folded else w for _s, _e, w in spans]
    hits: list[tuple[int, int]] = []
    for phrase in query.phrases:
        n = len(phrase)
        for i in range(len(keys) - n + 1):
            if tuple(keys[i:i + n]) == phrase:
                hits.append((spans[i][0], spans[i + n - 1][1]))
    if not hits:
        return body[:SNIPPET_CHARS * 2].replace("\n", " ").strip()
    hits.sort()
    first = hits[0][0]
    start = max(0, first - SNIPPET_CHARS)
    end = min(len(body), first + SNIPPET_CHARS)
    out, at = [], start
    for s, e in hits:
        if s < at or e > end:
            continue
        out += [body[at:s], mark[0], body[s:e], mark[1]]
        at = e
    out.append(body[at:end])
    text = "".join(out).replace("\n", " ").strip()
    return ("…" if start > 0 else "") + text + ("…" if end < len(body) else "")
