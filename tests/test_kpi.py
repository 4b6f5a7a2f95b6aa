"""The KPIs and the Decision-766 counters on a fixture whose figures are worked out by hand below,
on a real SQLite database and a real PostgreSQL server, which must give the same numbers.

The fixture, March 2026 (Asia/Ho_Chi_Minh), agency H13 (every dossier is received after 1/7/2025):

- HS-A (CSV) received 1/3 at 00:30 Vietnamese time, which is 28/2 in UTC; waited 20 min; 3
  components: 2 digitized, 1 reused from the national store; result digitized, resolved before its
  due time, 2 electronic handoffs, returned in March, rated 5.
- HS-B (CSV) waited 10 min; officer's name typed with decomposed accents and spaces; 2 components
  digitized; result issued but not digitized; resolved late; one electronic and one *paper*
  handoff; rated 3.
- HS-C (CSV) online, no components, nothing resolved.
- HS-D (CSV) received 28/2 at 23:30 (February), resolved 2/3 exactly at its due time, result
  digitized, one electronic handoff, returned 3/3, rated 4.
- HS-E (CSV) received 1/4 at 00:00 (April): in no March figure.
- HS-F motcua's own: 2 component documents (one archived, one quarantined) and one reuse event
  (3 components, 2 of them digitized or reused), one electronic handoff; its CSV row gives only
  its arrival (08:00), intake start (08:45) and officer, and claims 9 components, which must be
  ignored: its own rows count.
- HS-G motcua's own, received in 2025: holds the paper HS-F reuses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import unicodedata
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from motcua.agencies import agency_on
from motcua.core.kpi import Period
from motcua.errors import BadArguments
from motcua.manifest import DossierManifest
from motcua.services import kpi
from motcua.services.import_dossiers import COLUMNS, import_dossiers
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, Dossier, DossierRecord
from motcua.times import VN_TZ

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

ROWS = [
    # code, procedure, channel, received_at, arrived_at, intake_started_at, due_at, resolved_at,
    # returned_at, desk_officer, components, digitized, reused, national, result, electronic, paper, rating
    ["HS-A", "1.004227", "counter", "2026-03-01T00:30:00", "2026-03-01T00:10:00", "2026-03-01T00:30:00",
     "2026-03-06T17:00:00", "2026-03-05T10:00:00", "2026-03-06T09:00:00", "Nguyễn Văn An", "3", "2", "1",
     "1", "digitized", "2", "0", "5"],
    ["HS-B", "1.004227", "counter", "2026-03-02T08:00:00+07:00", "2026-03-02T07:50:00+07:00",
     "2026-03-02T01:00:00Z", "2026-03-09T17:00:00", "2026-03-10T10:00:00", "2026-03-11T09:00:00",
     unicodedata.normalize("NFD", " Nguyễn Văn An  "), "2", "2", "0", "0", "issued", "1", "1", "3"],
    ["HS-C", "1.010734", "online", "2026-03-03T09:00:00", "", "", "", "", "", "", "0", "0", "0", "0",
     "none", "0", "0", ""],
    ["HS-D", "1.004227", "counter", "2026-02-28T23:30:00", "", "", "2026-03-02T17:00:00",
     "2026-03-02T17:00:00", "2026-03-03T08:00:00", "Lê Văn Cường", "1", "1", "0", "0", "digitized", "1",
     "0", "4"],
    ["HS-E", "1.004227", "counter", "2026-04-01T00:00:00", "", "", "", "", "", "Lê Văn Cường", "1", "1",
     "0", "0", "", "", "", ""],
    ["HS-F", "", "counter", "2026-03-04T08:00:00", "2026-03-04T08:00:00", "2026-03-04T08:45:00", "", "",
     "", "Trần Thị Bình", "9", "9", "0", "0", "", "", "", ""],
]
UNKNOWN = ["HS-U", "", "post", "2026-03-20T08:00:00"] + [""] * 14  # every count unknown
BAD = [  # (line in the file, cells, what the reason must say)
    (8, ["", "1.0", "counter", "2026-03-05T08:00:00"] + [""] * 14, "code is missing"),
    (9, ["HS-X1", "", "counter", ""] + [""] * 14, "received_at is missing"),
    (10, ["HS-X2", "", "counter", "5/3/2026"] + [""] * 14, "not an ISO 8601 time"),
    (11, ["HS-X3", "", "fax", "2026-03-05T08:00:00"] + [""] * 14, "channel 'fax'"),
    (12, ["HS-X4", "", "counter", "2026-03-05T08:00:00"] + [""] * 13 + ["6"], "rating 6 is out of range"),
    (13, ["HS-X5", "", "counter", "2026-03-05T08:00:00"] + [""] * 6 + ["2", "2", "1", "0", "", "", "", ""],
     "components_digitized + components_reused (3) > components (2)"),
    (14, ["HS-X6", "", "counter", "2026-03-05T08:00:00"] + [""] * 6 + ["2", "0", "1", "2", "", "", "", ""],
     "components_reused_national (2) > components_reused (1)"),
    (15, ["HS-X7", "", "counter", "2026-03-05T08:00:00"] + [""] * 6 + ["two"] + [""] * 7, "not a whole number"),
    (16, ["HS-A", "", "counter", "2026-03-05T08:00:00"] + [""] * 14, "already on line 2"),
    (17, ["HS-X8", "", "post", "2026-03-05T08:00:00", "", "", "", "2026-03-04T08:00:00"] + [""] * 10,
     "resolved_at is before received_at"),
    (18, ["HS-X9", "", "counter", "2026-03-05T08:00:00"] + [""] * 6 + ["99999999999999999999"] + [""] * 7,
     "components 99999999999999999999 is out of range (0–10000)"),
    (19, ["HS-X10", "", "counter", "0001-01-01T03:00:00"] + [""] * 14, "out of range (years 1990–2100)"),
    (20, ["HS-X11", "", "counter", "2026-03-05T08:00:00"] + [""] * 6 + ["2", "0", "", "1", "", "", "", ""],
     "components_reused_national (1) > components_reused (empty)"),
    (21, ["HS-X12", "", "counter", "2026-03-05T08:00:00"] + [""] * 6 + ["1_000"] + [""] * 7, "not a whole number"),
    (22, [""] * 18, "code is missing"),  # a line of commas
]

EXPECTED_KPIS = {  # name: (numerator, denominator)
    "digitization_components": (2, 3),  # A, B of A, B, F (C has no component)
    "digitization_results": (2, 3),  # A, D of A, B, D
    "reuse": (2, 4),  # A, F of A, B, C, F
    "electronic_routing": (2, 3),  # A, D of A, B, D (B had a paper handoff)
    "online": (1, 4),  # C
    "waiting_minutes": (75, 3),  # 20 + 10 + 45 over A, B, F
    "on_time": (2, 3),  # A and D (exactly at its due time) of A, B, D
    "desk_productivity": (3, 2),  # A, B, F by two officers
    "satisfaction": (2, 3),  # A (5), D (4) of A, B (3), D
}
EXPECTED_766 = {"received": 4, "received_with_digitized": 2, "received_without_digitized": 2,
                "with_reused": 2, "with_reused_national": 1, "resolved": 3, "results_digitized": 2,
                "results_not_digitized": 1, "rate_components": 0.5, "rate_results": 2 / 3,
                "verdict_components": "Không đạt", "verdict_results": "Không đạt"}


def _own(settings: Settings) -> None:
    """HS-G (2025) holds a paper; HS-F (March 2026) reuses it and has two documents of its own."""
    migrate(settings.db_url)
    with Session(make_engine(settings.db_url)) as session:
        docs = {}
        for code, when in (("HS-G", dt.datetime(2025, 5, 5, 9, tzinfo=VN_TZ)),
                           ("HS-F", dt.datetime(2026, 3, 4, 8, tzinfo=VN_TZ))):
            dossier = repository.register_dossier(
                session, manifest=DossierManifest(code=code, applicant={"id": "031860913909"}),
                agency=agency_on(settings.agency, when), received_at=when)
            for n, status in enumerate(("archived", "quarantined") if code == "HS-F" else ("archived",)):
                doc = repository.add_document(
                    session, dossier_pk=dossier.id, document_id=uuid.uuid4().hex[:20], source_name=f"{n}.png",
                    source_sha256=uuid.uuid4().hex, source_bytes=1, kind="component", doc_type="khac",
                    title=None, intake_round=1)
                session.execute(update(Document).where(Document.id == doc.id).values(status=status))
                docs[code] = docs.get(code, doc)
            if code == "HS-F":
                repository.add_reuse_event(session, dossier_pk=dossier.id, document_pk=docs["HS-G"].id,
                                           component="giấy chứng nhận", source="local", officer=None, at=when)
                repository.add_handoff(session, dossier_pk=dossier.id, seq=1, from_unit="MOTCUA",
                                       to_unit="VPDK", mode="electronic", step=1, sent_at=when, sent_by="An",
                                       due_at=None)
        session.commit()


def _csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _fixture(settings: Settings, tmp_path: Path) -> dict:
    _own(settings)
    return import_dossiers(settings, _csv(tmp_path / "lich-su.csv", ROWS + [cells for _l, cells, _w in BAD]))


def _check(settings: Settings, report: dict) -> dict:
    assert (report["rows"], report["created"], report["merged"]) == (len(ROWS) + len(BAD), 5, 1), report
    assert [(b["line"], b["code"]) for b in report["bad"]] == \
        [(line, cells[0] or None) for line, cells, _w in BAD]
    for got, (_line, _cells, why) in zip(report["bad"], BAD, strict=True):
        assert why in got["reason"], (got, why)
    result = kpi.compute(settings, MARCH)
    got = {name: (f["numerator"], f["denominator"]) for name, f in result["kpis"].items()}
    assert got == EXPECTED_KPIS
    assert result["kpis"]["waiting_minutes"]["value"] == 25
    assert result["kpis"]["desk_productivity"]["value"] == pytest.approx(1.5 * 365 / 31)
    # 2026's targets: the plan's 2023–2025 figures carry on
    assert result["kpis"]["reuse"] == {"numerator": 2, "denominator": 4, "value": 0.5, "target": 0.8,
                                          "met": False}
    assert result["kpis"]["waiting_minutes"]["met"] is False  # 25 > 15
    assert result["kpis"]["desk_productivity"]["met"] is None  # the desk receives < 1,600 a year
    assert result["kpis"]["on_time"]["target"] is None and result["kpis"]["on_time"]["met"] is None
    assert result["decision_766"] == EXPECTED_766
    assert set(result["decision_766_by_agency"]) == {"H13"}
    return result


def test_kpis_on_sqlite_match_the_hand_count(tmp_path):
    settings = Settings(data_dir=tmp_path)
    result = _check(settings, _fixture(settings, tmp_path))
    assert json.loads(json.dumps(result)) == result  # the CLI's JSON

    # the inspector's trace
    assert kpi.explain(settings, "electronic_routing", MARCH) == {
        "name": "electronic_routing", "from": "2026-03-01", "to": "2026-03-31", "agency": None,
        "numerator": ["HS-A", "HS-D"], "denominator": ["HS-A", "HS-B", "HS-D"]}
    assert kpi.explain(settings, "desk_productivity", MARCH)["denominator"] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert kpi.explain(settings, "received_without_digitized", MARCH)["numerator"] == ["HS-C", "HS-F"]
    with pytest.raises(BadArguments):
        kpi.explain(settings, "happiness", MARCH)

    # the day boundary is Vietnam's: HS-A (1/3 00:30 in Vietnam, 28/2 in UTC) is March's, not February's
    feb = kpi.explain(settings, "received", Period(dt.date(2026, 2, 28), dt.date(2026, 2, 28)))
    assert feb["numerator"] == ["HS-D"]
    assert kpi.explain(settings, "received", Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1)))["numerator"] == ["HS-A"]

    # an agency with nothing: every figure null, never a division by zero
    empty = kpi.compute(settings, MARCH, agency="H51")
    assert all(f["value"] is None and f["met"] is None for f in empty["kpis"].values())
    assert empty["decision_766"]["verdict_components"] is None and empty["decision_766"]["received"] == 0

    # a row whose counts are all unknown: in the 766 difference, and in --explain's list of it
    more = import_dossiers(settings, _csv(tmp_path / "them.csv", [UNKNOWN]))
    assert (more["created"], more["bad"]) == (1, [])
    after = kpi.compute(settings, MARCH)
    assert after["decision_766"]["received_without_digitized"] == 3
    assert kpi.explain(settings, "received_without_digitized", MARCH)["numerator"] == ["HS-C", "HS-F", "HS-U"]
    assert after["kpis"]["digitization_components"]["denominator"] == 3  # unknown components: left out
    assert after["kpis"]["reuse"]["denominator"] == 5

    # importing the same file again changes nothing
    engine = make_engine(settings.db_url)
    with engine.connect() as c:
        before = [c.execute(select(m)).all() for m in (Dossier, DossierRecord)]
    again = import_dossiers(settings, tmp_path / "lich-su.csv")
    assert (again["created"], again["updated"], again["merged"], again["unchanged"]) == (0, 0, 0, len(ROWS))
    with engine.connect() as c:
        assert [c.execute(select(m)).all() for m in (Dossier, DossierRecord)] == before
        assert c.execute(select(func.count()).select_from(Dossier)).scalar_one() == len(ROWS) + 2


def _own_database(url: str) -> str:
    """A database of its own on the session's server: other tests' dossiers must not count."""
    from sqlalchemy import create_engine, text

    name = f"kpi_{uuid.uuid4().hex[:8]}"
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    return url.rsplit("/", 1)[0] + "/" + name


def test_kpis_on_postgres_are_the_same(tmp_path, postgres_url):
    pg = Settings(data_dir=tmp_path / "pg", database_url=_own_database(postgres_url))
    _check(pg, _fixture(pg, tmp_path))
    assert kpi.explain(pg, "satisfaction", MARCH)["numerator"] == ["HS-A", "HS-D"]
    steps = _steps(pg)
    assert [(s["step"], s["count"], s["mean_seconds"], s["max_seconds"]) for s in steps] == \
        [("receive", 1, 0.5, 0.5), ("ocr", 2, 4.0, 5.0)]
    # a rerun of the nightly snapshot for the same period replaces its rows
    result = kpi.compute(pg, MARCH)
    assert kpi.save(pg, result, "custom") == kpi.save(pg, result, "custom") == 9 + 8 + 2


def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path):
    settings = Settings(data_dir=tmp_path)
    (tmp_path / "latin1.csv").write_bytes(",".join(COLUMNS).encode() + b"\nHS-1,,counter,2026-03-01,,,,,,L\xea\n")
    (tmp_path / "short.csv").write_text("code,received_at\nHS-1,2026-03-01\n", encoding="utf-8")
    for name, why in (("latin1.csv", "not UTF-8"), ("short.csv", "lacks the columns procedure, channel"),
                      ("missing.csv", "cannot read")):
        with pytest.raises(BadArguments, match=why):
            import_dossiers(settings, tmp_path / name)


def _steps(settings: Settings) -> list[dict]:
    """Five step events of HS-F, four in March, then the March durations."""
    from motcua.storage.models import StepEvent

    start = dt.datetime(2026, 3, 4, 9, tzinfo=VN_TZ)
    with Session(make_engine(settings.db_url)) as session:
        dossier = repository.get_dossier(session, code="HS-F")
        for step, seconds, status in (("ocr", 3.0, "completed"), ("ocr", 5.0, "completed"),
                                      ("receive", 0.5, "completed"), ("sign", 9.0, "failed")):
            session.add(StepEvent(dossier_id=dossier.id, step=step, status=status, started_at=start,
                                  finished_at=start + dt.timedelta(seconds=seconds)))
        session.add(StepEvent(dossier_id=dossier.id, step="scan", status="completed",  # April: not March's
                              started_at=dt.datetime(2026, 4, 1, tzinfo=VN_TZ),
                              finished_at=dt.datetime(2026, 4, 1, 0, 0, 1, tzinfo=VN_TZ)))
        session.commit()
    return kpi.steps(settings, MARCH)


def test_step_durations_and_the_report_sections(tmp_path):
    from motcua.services.kpi_report import render_csv, render_html

    settings = Settings(data_dir=tmp_path)
    _own(settings)
    steps = _steps(settings)
    assert [(s["step"], s["count"]) for s in steps] == [("receive", 1), ("ocr", 2)]  # pipeline order
    assert steps[1]["mean_seconds"] == pytest.approx(4.0) and steps[1]["max_seconds"] == pytest.approx(5.0)

    result = kpi.compute(settings, MARCH)
    page = render_html(result, steps=steps, trend=[result])
    assert "<td>ocr</td>" in page and page.count("<svg") == 9 and 'lang="vi"' in page
    lines = render_csv(result).splitlines()
    assert lines[0] == "from,to,agency,name,numerator,denominator,value,target,met"
    assert "2026-03-01,2026-03-31,,reuse,1,1,1.0,0.8,true" in lines  # HS-F reused a paper


def test_the_command_line(tmp_path):
    """`motcua import dossiers` and `motcua kpi` as a user runs them: exit codes, JSON, CSV."""
    exe = str(Path(sys.executable).with_name("motcua"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([exe, "--data-dir", str(tmp_path), *args], capture_output=True, text=True,
                              timeout=120, env=env)

    _own(Settings(data_dir=tmp_path))
    history = _csv(tmp_path / "lich-su.csv", ROWS + [cells for _l, cells, _w in BAD])
    loaded = run("import", "dossiers", str(history), "--json")
    assert loaded.returncode == 2, loaded.stderr  # bad rows: reported, the good ones kept
    assert json.loads(loaded.stdout)["created"] == 5 and len(json.loads(loaded.stdout)["bad"]) == len(BAD)
    human = run("import", "dossiers", str(history))
    assert human.returncode == 2 and "line 9 HS-X1: received_at is missing" in human.stderr

    figures = run("kpi", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json")
    assert figures.returncode == 0, figures.stderr
    got = json.loads(figures.stdout)
    assert {n: (f["numerator"], f["denominator"]) for n, f in got["kpis"].items()} == EXPECTED_KPIS
    assert got["decision_766"] == EXPECTED_766
    table = run("kpi", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv")
    assert "2026-03-01,2026-03-31,,766.received,4,,,," in table.stdout.splitlines()
    explained = run("kpi", "--from", "2026-03-01", "--to", "2026-03-31", "--explain", "on_time", "--format", "csv")
    assert explained.stdout.splitlines() == ["part,code", "numerator,HS-A", "numerator,HS-D", "denominator,HS-A",
                                             "denominator,HS-B", "denominator,HS-D"]
    page = run("kpi", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "html")
    assert page.returncode == 0 and page.stdout.startswith("<!doctype html>") and "Không đạt" in page.stdout
    for args, why in ((("--from", "2026-03-31", "--to", "2026-03-01"), "ends (2026-03-01) before it starts"),
                      (("--from", "2026-03-01"), "needs --from and --to"),
                      (("--from", "2026-03-01", "--to", "2026-03-31", "--explain", "joy"), "no figure is called")):
        refused = run("kpi", *args)
        assert refused.returncode == 2 and why in refused.stderr, refused.stderr
    missing = run("import", "dossiers", str(tmp_path / "none.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_a_row_the_database_refuses_is_named_and_the_rest_kept(tmp_path):
    """A real refusal (a trigger in the database), not a validation of ours: the batch is written
    again row by row, the refused row is reported by line, the others are stored."""
    from sqlalchemy import text

    settings = Settings(data_dir=tmp_path)
    migrate(settings.db_url)
    with make_engine(settings.db_url).begin() as c:
        c.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON dossier WHEN NEW.code = 'HS-NO' "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"))
    rows = [[code, "", "counter", "2026-03-05T08:00:00"] + [""] * 14 for code in ("HS-1", "HS-NO", "HS-2")]
    report = import_dossiers(settings, _csv(tmp_path / "three.csv", rows))
    assert (report["created"], [(b["line"], b["code"]) for b in report["bad"]]) == (2, [(3, "HS-NO")])
    assert "refused by the test trigger" in report["bad"][0]["reason"]
    assert kpi.explain(settings, "received", MARCH)["numerator"] == ["HS-1", "HS-2"]
