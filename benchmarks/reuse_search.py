"""`reuse find` and `search` at scale (issue 15): generated reuse entries and archived texts, then
the latency of the services the CLI calls, on SQLite (the embedded default) or PostgreSQL.

    python -m motcua.benchmarks.reuse_search --documents 1000000 --data-dir /tmp/rs-sqlite
    python -m motcua.benchmarks.reuse_search --documents 1000000 --data-dir /tmp/rs-pg \\
        --database-url postgresql+psycopg://user@127.0.0.1:5432/db

What is generated: documents of 5 per dossier and per applicant, each archived with a reuse entry
(type, number, issuer, issue date, validity) and a text of ~60 words: sentences of the seed plan
with the applicant's name, CCCD, dossier code, document number and date, so identifiers are
rare and the plan's words are common. Rows go in through the same repository calls the `index`
step makes (`store_text` for the search copies), in batches. Then:

- ``reuse find``: 300 random applicants, ``motcua.services.reuse.find`` (session, query, judging);
- ``search``: 100 each of an applicant's CCCD, a document number, a name phrase (rare), and a
  common two-word phrase (thousands of hits: the total is counted, 20 shown), exact and folded.

It reports p50/p95/max per kind, the time to build the data (rows and search indexes), and the
database's size on disk. No timed assertion: the figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
import uuid
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, col, select

from motcua.core.searchtext import folded_words, words
from motcua.samples.documents import plan_paragraphs
from motcua.services.reuse import find
from motcua.services.search import search
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, DocumentText, Dossier, ReuseEntry
from motcua.storage.repository.search import PG_INDEXES
from motcua.times import VN_TZ

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Thạch", "Lâm")
MIDDLE = ("Văn", "Thị", "Minh", "Hoàng", "Ngọc", "Thanh", "Quốc", "Kim")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Hoá", "Hòa", "Khánh", "Lộc", "Nga", "Phúc", "Sơn", "Tâm",
         "Uyên", "Vinh", "Xuân", "Yến", "Đức", "Hạnh", "Tuấn", "Trí")
TYPES = ("giay_chung_nhan_qsdd", "don_dang_ky_bien_dong", "can_cuoc", "trich_luc_dia_chinh",
         "giay_phep_moi_truong")
PER_DOSSIER = 5


def _people(n: int, rnd: random.Random) -> list[tuple[str, str]]:
    return [(f"0{rnd.randrange(10**10, 10**11)}", " ".join((rnd.choice(FAMILY), rnd.choice(MIDDLE),
             rnd.choice(GIVEN), rnd.choice(GIVEN)))) for _ in range(n)]


def build(settings: Settings, documents: int, *, seed: int = 15, say=print) -> dict:
    migrate(settings.db_url)
    rnd = random.Random(seed)
    sentences = [s for p in plan_paragraphs() for s in p.split(". ") if len(s) > 40]
    people = _people(documents // PER_DOSSIER, rnd)
    engine = make_engine(settings.db_url)
    sqlite = engine.dialect.name == "sqlite"
    if not sqlite:  # GIN indexes are built once, after the load, and timed on their own
        with engine.begin() as c:
            for name in PG_INDEXES:
                c.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    started = time.perf_counter()
    batch = 2000  # dossiers per transaction
    for first in range(0, len(people), batch):
        with Session(engine) as session:
            dossiers = []
            for i, (cccd, name) in enumerate(people[first:first + batch], start=first):
                received = dt.datetime(2022, 6, 1, tzinfo=VN_TZ) + dt.timedelta(minutes=7 * i)
                dossiers.append({"code": f"000.00.20.H51-{received:%y%m%d}-{i % 10000:04d}.{i}",
                                 "agency_code": "H51", "agency_name": "Sở Tài nguyên và Môi trường",
                                 "applicant_id": cccd, "applicant_name": name, "channel": "counter",
                                 "received_at": received, "registered_at": received, "status": "received"})
            session.execute(insert(Dossier), dossiers)
            codes = [d["code"] for d in dossiers]
            pks = dict(session.exec(select(Dossier.code, Dossier.id).where(col(Dossier.code).in_(codes))).all())
            docs = []
            for d in dossiers:
                for k in range(PER_DOSSIER):
                    document_id = uuid.UUID(int=rnd.getrandbits(128)).hex[:20]
                    number = f"{rnd.randint(1, 9999)}/{rnd.choice(('QĐ', 'GP', 'ĐK'))}-STNMT"
                    day = d["received_at"].date() - dt.timedelta(days=rnd.randint(0, 3000))
                    body = (f"Ông/bà {d['applicant_name']}, CCCD số {d['applicant_id']}, hồ sơ "
                            f"{d['code']}. Số: {number} ngày {day.day} tháng {day.month} năm {day.year}. "
                            + ". ".join(rnd.sample(sentences, 2)))
                    docs.append({"dossier_id": pks[d["code"]], "document_id": document_id,
                                 "source_name": f"{k}.pdf", "source_sha256": document_id, "source_bytes": 1,
                                 "kind": "component", "doc_type": TYPES[k], "status": "archived",
                                 "archive_key": f"H51/2022/{d['code']}/{document_id}.pdf",
                                 "intake_round": 1, "created_at": d["received_at"],
                                 "updated_at": d["received_at"], "flags": "",
                                 "_subject": d["applicant_id"], "_number": number, "_day": day, "_body": body})
            session.execute(insert(Document), [{k: v for k, v in r.items() if not k.startswith("_")}
                                               for r in docs])
            doc_pks = dict(session.exec(select(Document.document_id, Document.id).where(
                col(Document.document_id).in_([r["document_id"] for r in docs]))).all())
            session.execute(insert(ReuseEntry), [{
                "subject_id": r["_subject"], "doc_type": r["doc_type"], "document_pk": doc_pks[r["document_id"]],
                "archive_key": r["archive_key"], "valid_from": r["created_at"], "created_at": r["created_at"],
                "number": r["_number"], "issued_on": r["_day"], "valid_to_stated": False,
                "valid_to": (dt.datetime.combine(r["_day"], dt.time(23, 59), VN_TZ) + dt.timedelta(days=3650))
                if r["doc_type"] != "giay_chung_nhan_qsdd" else None} for r in docs])
            if sqlite:  # the index step's own call: the text row and its FTS5 row
                for r in docs:
                    repository.store_text(session, document_pk=doc_pks[r["document_id"]], body=r["_body"],
                                          words=" ".join(words(r["_body"])),
                                          folded=" ".join(folded_words(r["_body"])))
            else:  # a bulk load: row by row took 4 ms a document on PostgreSQL
                session.execute(insert(DocumentText), [{
                    "document_pk": doc_pks[r["document_id"]], "body": r["_body"],
                    "words": " ".join(words(r["_body"])), "folded": " ".join(folded_words(r["_body"]))}
                    for r in docs])
            session.commit()
        if (first // batch) % 10 == 0:
            say(f"  {min(first + batch, len(people)) * PER_DOSSIER:,} documents, "
                f"{time.perf_counter() - started:.0f} s")
    built = time.perf_counter() - started
    indexed = time.perf_counter()
    with engine.begin() as c:
        if not sqlite:
            for name, column in PG_INDEXES.items():
                c.exec_driver_sql(f"CREATE INDEX {name} ON documenttext USING gin ({column}_tsv)")
        c.exec_driver_sql("ANALYZE")
    return {"documents": len(people) * PER_DOSSIER, "build_seconds": round(built, 1),
            "search_index_seconds": None if sqlite else round(time.perf_counter() - indexed, 1),
            "people": people}


def _size(settings: Settings) -> int:
    engine = make_engine(settings.db_url)
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with engine.connect() as c:
        return int(c.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())


def _timed(calls) -> dict:
    times = []
    for call in calls:
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"n": len(times), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2), "max_ms": round(times[-1], 2)}


def measure(settings: Settings, people: list[tuple[str, str]], *, seed: int = 16) -> dict:
    rnd = random.Random(seed)
    sample = rnd.sample(people, 300)
    find(settings, sample[0][0])  # connect and migrate-check once, outside the clock
    out = {"reuse_find": _timed([lambda s=s: find(settings, s[0]) for s in sample])}
    queries = {
        "search_cccd": [s[0] for s in sample[:100]],
        "search_name_phrase": [f'"{s[1]}"' for s in sample[100:200]],
        "search_common_phrase": [rnd.choice(('"tài nguyên"', '"kế hoạch"', '"thủ tục hành chính"', '"một cửa"'))
                                 for _ in range(100)],
    }
    totals = {}
    for kind, qs in queries.items():
        for fold in (False, True):
            key = kind + ("_folded" if fold else "")
            out[key] = _timed([lambda x=x, f=fold, k=key: totals.setdefault(k, []).append(
                search(settings, x, fold=f)["total"]) for x in qs])
            out[key]["mean_total"] = round(statistics.mean(totals[key]), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--measure-only", action="store_true",
                        help="the data of an earlier run with the same --documents is there")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url)
    if args.measure_only:  # the applicants are the seed's first draws, as build() made them
        built = {"documents": args.documents, "build_seconds": None,
                 "people": _people(args.documents // PER_DOSSIER, random.Random(15))}
    else:
        print(f"building {args.documents:,} documents on {make_engine(settings.db_url).dialect.name}")
        built = build(settings, args.documents)
    people = built.pop("people")
    result = {**built, "size_mb": round(_size(settings) / 2**20), **measure(settings, people)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
