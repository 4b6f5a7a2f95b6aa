"""Full-text rows and queries: SQLite FTS5 for the embedded default, PostgreSQL full-text search at
scale, one interface (services/search.py). Both index the words motcua cut itself
(motcua/core/searchtext.py), so both find the same documents for the same query; only the
ranking formula differs (FTS5's bm25, PostgreSQL's ts_rank).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, select

from motcua.storage.models import Document, DocumentText, Dossier

PG_INDEXES = {"ix_documenttext_words_tsv": "words", "ix_documenttext_folded_tsv": "folded"}
"""PostgreSQL's GIN indexes on the stored tsvectors ``<column>_tsv`` (made by migration 0009)."""


@dataclass(frozen=True)
class Filters:
    subject_id: str | None = None
    doc_type: str | None = None
    agency_code: str | None = None
    received_from: dt.datetime | None = None  # inclusive
    received_before: dt.datetime | None = None  # exclusive


@dataclass(frozen=True)
class Hit:
    document: Document
    dossier: Dossier
    body: str
    score: float  # higher is better


def store_text(session: Session, *, document_pk: int, body: str, words: str, folded: str) -> None:
    """The document's text and search copies, replacing earlier ones (a re-index)."""
    row = session.exec(select(DocumentText).where(DocumentText.document_pk == document_pk)).first()
    row = row or DocumentText(document_pk=document_pk, body="", words="", folded="")
    row.body, row.words, row.folded = body, words, folded
    session.add(row)
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM documentsearch WHERE rowid = :pk"), {"pk": document_pk})
        session.execute(text("INSERT INTO documentsearch (rowid, words, folded) VALUES (:pk, :w, :f)"),
                        {"pk": document_pk, "w": words, "f": folded})


def _where(filters: Filters) -> tuple[str, dict]:
    sql, params = ["document.status = 'archived'"], {}
    for column, key in (("dossier.applicant_id", "subject_id"), ("document.doc_type", "doc_type"),
                        ("dossier.agency_code", "agency_code")):
        if getattr(filters, key) is not None:
            sql.append(f"{column} = :{key}")
            params[key] = getattr(filters, key)
    if filters.received_from is not None:
        sql.append("dossier.received_at >= :received_from")
        params["received_from"] = filters.received_from
    if filters.received_before is not None:
        sql.append("dossier.received_at < :received_before")
        params["received_before"] = filters.received_before
    return " AND ".join(sql), params


def _times(session: Session, params: dict) -> dict:
    """Bind times as the ORM columns store them (naive UTC on SQLite)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    return {k: (v.astimezone(dt.UTC).replace(tzinfo=None) if sqlite else v)
            if isinstance(v, dt.datetime) else v for k, v in params.items()}


RANK_AT_MOST = 5_000
"""Matches ranked at most: beyond that, the newest this many (the highest document numbers) are
ranked and the rest only counted. Ranking scores every match (bm25 or ts_rank), and a common
phrase in 1,000,000 texts has ~300,000: 0.4–0.8 s on SQLite (benchmarks/README.md)."""


@dataclass(frozen=True)
class Found:
    total: int  # every matching document, counted
    ranked: int  # how many of them were ranked: the total, or RANK_AT_MOST newest
    hits: list[Hit]


def search(session: Session, *, phrases: Sequence[Sequence[str]], folded: bool, filters: Filters,
           limit: int, offset: int = 0) -> Found:
    """Documents whose (folded) words hold every phrase: the total count, and one page of hits,
    best first."""
    column = "folded" if folded else "words"
    where, params = _where(filters)
    # Only archived documents have a text (the index step writes it after the archive step), so
    # without filters the search never needs the document and dossier rows: on 1,000,000 texts
    # the joins made a common phrase's count 2.4 s instead of 22 ms (benchmarks/README.md).
    joins = ("" if filters == Filters() else
             "JOIN document ON document.id = {pk} JOIN dossier ON dossier.id = document.dossier_id")
    where = where if joins else "TRUE"
    if session.get_bind().dialect.name == "sqlite":
        match = " AND ".join('{col} : "{p}"'.format(col=column, p=" ".join(p)) for p in phrases)
        base = f"FROM documentsearch {joins.format(pk='documentsearch.rowid')} " \
               f"WHERE documentsearch MATCH :match AND {where}"
        params["match"] = match
        pk, score = "documentsearch.rowid", "-bm25(documentsearch)"
    else:
        tsq = " && ".join(f"phraseto_tsquery('simple', :p{i})" for i in range(len(phrases)))
        params |= {f"p{i}": " ".join(p) for i, p in enumerate(phrases)}
        base = f"FROM documenttext AS hit {joins.format(pk='hit.document_pk')} " \
               f"WHERE hit.{column}_tsv @@ ({tsq}) AND {where}"
        pk, score = "hit.document_pk", f"ts_rank(hit.{column}_tsv, ({tsq}))"
    params = _times(session, params)
    total = session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()
    # The newest RANK_AT_MOST matches are scored, then sorted: only they pay for the ranking (an
    # outer ORDER BY rank with a "rowid >= newest" bound scored every match all the same).
    rows = session.execute(text(
        f"SELECT pk, score FROM (SELECT {pk} AS pk, {score} AS score {base} "
        f"ORDER BY {pk} DESC LIMIT {RANK_AT_MOST}) AS newest "
        f"ORDER BY score DESC, pk DESC LIMIT :limit OFFSET :offset"),
        params | {"limit": limit, "offset": offset}).all()
    hits = []
    for doc_pk, value in rows:
        doc = session.get(Document, doc_pk)
        body = session.exec(select(DocumentText.body).where(DocumentText.document_pk == doc_pk)).one()
        hits.append(Hit(doc, session.get(Dossier, doc.dossier_id), body, float(value)))
    return Found(total, min(total, RANK_AT_MOST), hits)
