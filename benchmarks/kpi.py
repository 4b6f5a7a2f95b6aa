"""The nightly KPI computation at scale (issue 16): 1,000,000 dossiers and 10,000,000 step events
generated, then the work of the ``nightly-kpis`` flow timed, on SQLite or PostgreSQL.

    python -m motcua.benchmarks.kpi --data-dir /tmp/kpi-sqlite
    python -m motcua.benchmarks.kpi --data-dir /tmp/kpi-pg \\
        --database-url postgresql+psycopg://user@127.0.0.1:5432/db
    # --measure-only times an existing set again; --dossiers / --events make a smaller one

What is generated (seeded), received from 1/1/2025 to 30/11/2026 at an even pace:

- Half the dossiers came from the one-stop system (``source = 'import'``). Each has a record with
  counts: 0–5 components, some digitized, some reused (some from the national store), a result,
  and handoffs.
- The other half motcua received itself, each with its own rows:
  - two documents, the second a result once the dossier is resolved, one in twenty quarantined;
  - two handoffs, one in ten on paper;
  - a reuse event for one dossier in five;
  - the step events, split evenly over the documents, 10,000,000 in all.
- Every dossier has a record of its arrival, intake start, desk officer (12 of them) and, for
  three in five, a rating.
- 80% of the dossiers older than 15 days are resolved and returned.

Timed: what the flow does as of 1/12/2026, through the service calls its tasks make.

- ``motcua.services.kpi.compute`` for yesterday, the month to date and the year to date (about
  480,000 dossiers);
- the ten earlier months of the trend;
- the year's step durations (about 5,000,000 events);
- the snapshots written.

Prefect's own overhead is left out: the flow's run around these calls adds a second or two. No
timed assertion: the figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from pathlib import Path

from sqlalchemy import insert, text

from motcua.core.kpi import standard_periods
from motcua.services import kpi
from motcua.settings import Settings
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, Dossier, DossierRecord, Handoff, ReuseEvent, StepEvent
from motcua.times import VN_TZ

START = dt.datetime(2025, 1, 1, 7, 30, tzinfo=VN_TZ)
END = dt.datetime(2026, 11, 30, 17, 0, tzinfo=VN_TZ)
TODAY = dt.date(2026, 12, 1)
OFFICERS = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Dũng", "Phạm Thị Hoá", "Đặng Minh Đức",
            "Võ Thị Lan", "Huỳnh Văn Lộc", "Bùi Thị Nga", "Đỗ Quốc Sơn", "Hồ Thị Tâm", "Thạch Văn Vinh",
            "Lâm Thị Yến")
STEPS = ("receive", "scan", "ocr", "assemble", "sign", "archive", "index")
SEED_DOCUMENT = 1  # the paper every reuse event points at (any archived document will do)


def _dossier(i: int, n: int, rnd: random.Random, own: bool) -> tuple[dict, dict]:
    received = START + (END - START) * i / n
    resolved = returned = None
    if (END - received).days > 15 and rnd.random() < 0.8:
        resolved = received + dt.timedelta(days=rnd.uniform(1, 14))
        returned = resolved + dt.timedelta(days=1)
    channel = rnd.choices(("counter", "online", "post"), (60, 35, 5))[0]
    dossier = {"id": i + 1, "code": f"BENCH-{i:07d}", "agency_code": "H51" if received.date() < dt.date(2025, 7, 1)
               else "H13", "agency_name": "Sở", "channel": channel, "received_at": received,
               "due_at": received + dt.timedelta(days=10), "registered_at": received,
               "status": "returned" if returned else "received", "resolved_at": resolved,
               "returned_at": returned, "source": "motcua" if own else "import"}
    components = rnd.randint(0, 5)
    digitized = rnd.randint(0, components)
    reused = rnd.randint(0, components - digitized)
    record = {"id": i + 1, "dossier_id": i + 1, "source_file": "bench.csv", "line": i + 2,
              "imported_at": END, "desk_officer": rnd.choice(OFFICERS) if channel == "counter" else None,
              "arrived_at": received - dt.timedelta(minutes=rnd.uniform(0, 40)) if channel == "counter" else None,
              "intake_started_at": received if channel == "counter" else None,
              "rating": rnd.randint(1, 5) if rnd.random() < 0.6 else None,
              **dict.fromkeys(("components", "components_digitized", "components_reused",
                               "components_reused_national", "result", "handoffs_electronic",
                               "handoffs_paper"))}
    if not own:
        record |= {"components": components, "components_digitized": digitized, "components_reused": reused,
                   "components_reused_national": rnd.randint(0, reused),
                   "result": rnd.choice(("issued", "digitized", "digitized")) if resolved else "none",
                   "handoffs_electronic": rnd.randint(0, 3), "handoffs_paper": int(rnd.random() < 0.1)}
    return dossier, record


def build(settings: Settings, dossiers: int, events: int, *, seed: int = 16, say=print) -> dict:
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    rnd = random.Random(seed)
    own_docs = dossiers  # half the dossiers are motcua's, two documents each
    per_doc = max(events // own_docs, 1)
    started = time.perf_counter()
    batch, doc_pk, event_pk, handoff_pk, reuse_pk = 10_000, 0, 0, 0, 0
    for first in range(0, dossiers, batch):
        rows: dict[type, list[dict]] = {m: [] for m in (Dossier, DossierRecord, Document, Handoff, ReuseEvent,
                                                        StepEvent)}
        for i in range(first, min(first + batch, dossiers)):
            own = i % 2 == 1
            dossier, record = _dossier(i, dossiers, rnd, own)
            rows[Dossier].append(dossier)
            rows[DossierRecord].append(record)
            if not own:
                continue
            received = dossier["received_at"]
            for k in range(2):
                doc_pk += 1
                kind = "result" if k == 1 and dossier["resolved_at"] else "component"
                rows[Document].append({
                    "id": doc_pk, "dossier_id": dossier["id"], "document_id": f"b{doc_pk:019d}",
                    "source_name": f"{k}.png", "source_sha256": f"{doc_pk:064d}", "source_bytes": 1, "kind": kind,
                    "doc_type": "khac", "status": "quarantined" if rnd.random() < 0.05 else "archived",
                    "flags": "", "intake_round": 1, "created_at": received, "updated_at": received})
                at = received
                for s in range(per_doc):
                    event_pk += 1
                    took = dt.timedelta(seconds=rnd.uniform(0.05, 3.0))
                    rows[StepEvent].append({"id": event_pk, "dossier_id": dossier["id"], "document_pk": doc_pk,
                                            "step": STEPS[s % len(STEPS)], "status": "completed", "attempt": 1,
                                            "started_at": at, "finished_at": at + took})
                    at += took
            for seq in (1, 2):
                handoff_pk += 1
                rows[Handoff].append({"id": handoff_pk, "dossier_id": dossier["id"], "seq": seq,
                                      "from_unit": "MOTCUA" if seq == 1 else "VPDK",
                                      "to_unit": "VPDK" if seq == 1 else "MOTCUA",
                                      "mode": "paper" if rnd.random() < 0.1 else "electronic", "step": seq,
                                      "sent_at": received, "sent_by": "An", "due_at": None})
            if rnd.random() < 0.2 and doc_pk > 2:
                reuse_pk += 1
                rows[ReuseEvent].append({"id": reuse_pk, "dossier_id": dossier["id"], "document_pk": SEED_DOCUMENT,
                                         "component": "giấy chứng nhận", "source": rnd.choice(("local", "national")),
                                         "officer": None, "at": received})
        with engine.begin() as c:
            for model, values in rows.items():
                if values:
                    c.execute(insert(model), values)
        if (first // batch) % 10 == 0:
            say(f"  {min(first + batch, dossiers):,} dossiers, {event_pk:,} events, "
                f"{time.perf_counter() - started:.0f} s")
    with engine.begin() as c:
        if engine.dialect.name != "sqlite":  # explicit ids: move the sequences past them
            for table in ("dossier", "dossierrecord", "document", "handoff", "reuseevent", "stepevent"):
                c.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))")
        c.exec_driver_sql("ANALYZE")
    return {"dossiers": dossiers, "documents": doc_pk, "events": event_pk, "handoffs": handoff_pk,
            "reuse_events": reuse_pk, "build_seconds": round(time.perf_counter() - started, 1)}


def measure(settings: Settings, today: dt.date = TODAY) -> dict:
    """The nightly flow's work, timed call by call."""
    timings, started = {}, time.perf_counter()
    periods = standard_periods(today)
    results = {}
    for kind, period in periods.items():
        t = time.perf_counter()
        results[kind] = kpi.compute(settings, period)
        timings[f"compute_{kind}"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    for month in kpi.months(periods["year"])[:-1]:
        kpi.compute(settings, month)
    timings["trend_earlier_months"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    steps = kpi.steps(settings, periods["year"])
    timings["step_durations_year"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    saved = sum(kpi.save(settings, r, kind) for kind, r in results.items())
    timings["save_snapshots"] = round(time.perf_counter() - t, 2)
    year = results["year"]
    return {"total_seconds": round(time.perf_counter() - started, 2), **timings, "snapshots": saved,
            "year_received": year["decision_766"]["received"], "year_resolved": year["decision_766"]["resolved"],
            "year_events": sum(s["count"] for s in steps),
            "year_kpis": {n: [f["numerator"], f["denominator"]] for n, f in year["kpis"].items()}}


def _size(settings: Settings) -> int:
    engine = make_engine(settings.db_url)
    if engine.dialect.name == "sqlite":
        return Path(engine.url.database).stat().st_size
    with engine.connect() as c:
        return c.execute(text("SELECT pg_database_size(current_database())")).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--runs", type=int, default=2, help="timed runs (the first may read a cold cache)")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url)
    report: dict = {"backend": make_engine(settings.db_url).dialect.name}
    if not args.measure_only:
        print(f"building {args.dossiers:,} dossiers and {args.events:,} events on {report['backend']}", flush=True)
        report["build"] = build(settings, args.dossiers, args.events, say=lambda m: print(m, flush=True))
    report["size_bytes"] = _size(settings)
    report["runs"] = [measure(settings) for _ in range(args.runs)]
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
