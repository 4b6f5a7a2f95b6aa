"""The nightly KPIs on the real stack, reached as an operator reaches them: history loaded with
``motcua import dossiers``, then ``motcua kpi --nightly`` runs the ``nightly-kpis`` flow on the
stack's Prefect server. It must write the snapshots, a Prefect table artifact and the Vietnamese
HTML report in the reports bucket, which headless Chromium opens (screenshot kept in
``test-artifacts/kpi-report.png``).

The history is in 2024 (agency H51), a year no other test touches, so its figures are known:
- K1 counter, received 15/1, both components digitized, result digitized, resolved on time with
  an electronic handoff, returned 21/1 and rated 5;
- K2 online, received 10/2, its one component reused from the national store, result issued
  but not digitized, resolved with a paper handoff;
- K3 counter, received 1/3 at 08:00 after a 20-minute wait, three components digitized.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import tempfile

import pytest
from playwright.sync_api import expect, sync_playwright
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import Session, select

from motcua.infra.state import prefect_api_url
from motcua.services.import_dossiers import COLUMNS
from motcua.storage.db import make_engine
from motcua.storage.models import KpiSnapshot
from motcua.storage.s3 import make_client
from tests.fixtures.service import MOTCUA
from tests.test_ui import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

HISTORY = [
    {"code": "KPI-2024-K1", "channel": "counter", "received_at": "2024-01-15T09:00:00",
     "due_at": "2024-01-25T17:00:00", "resolved_at": "2024-01-20T10:00:00", "returned_at": "2024-01-21T09:00:00",
     "components": "2", "components_digitized": "2", "result": "digitized", "handoffs_electronic": "1",
     "rating": "5"},
    {"code": "KPI-2024-K2", "channel": "online", "received_at": "2024-02-10T09:00:00",
     "resolved_at": "2024-02-12T10:00:00", "components": "1", "components_digitized": "0",
     "components_reused": "1", "components_reused_national": "1", "result": "issued", "handoffs_paper": "1"},
    {"code": "KPI-2024-K3", "channel": "counter", "received_at": "2024-03-01T08:00:00",
     "arrived_at": "2024-03-01T07:40:00", "intake_started_at": "2024-03-01T08:00:00", "desk_officer": "Lan",
     "components": "3", "components_digitized": "3"},
]
SHOT = ARTIFACTS / "kpi-report.png"


def _motcua(settings, *args: str) -> dict:
    done = subprocess.run([MOTCUA, "--data-dir", str(settings.data_dir), *args, "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    return json.loads(done.stdout)


def test_the_nightly_flow_writes_snapshots_an_artifact_and_a_report(stack_settings, tmp_path):
    history = tmp_path / "lich-su-2024.csv"
    with history.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(HISTORY)
    loaded = _motcua(stack_settings, "import", "dossiers", str(history))
    assert (loaded["created"], loaded["bad"]) == (3, [])

    done = _motcua(stack_settings, "kpi", "--nightly", "--today", "2024-03-02")
    assert done["date"] == "2024-03-01" and done["report_key"] == "kpi/2024-03-01.html"
    year = done["periods"]["year"]
    assert (year["from"], year["to"]) == ("2024-01-01", "2024-03-01")
    got = {name: (f["numerator"], f["denominator"]) for name, f in year["kpis"].items()}
    assert got == {"digitization_components": (3, 3), "digitization_results": (1, 2), "reuse": (1, 3),
                   "electronic_routing": (1, 2), "online": (1, 3), "waiting_minutes": (20, 1),
                   "on_time": (1, 1), "desk_productivity": (1, 1), "satisfaction": (1, 1)}
    assert year["decision_766"]["verdict_components"] == "Đạt"
    assert year["decision_766"]["verdict_results"] == "Không đạt"  # 1 of 2
    day = done["periods"]["day"]["kpis"]
    assert (day["reuse"]["denominator"], day["waiting_minutes"]["value"]) == (1, 20)

    # the snapshots: every figure of the three periods, numerator and denominator kept
    with Session(make_engine(stack_settings.db_url)) as session:
        rows = session.exec(select(KpiSnapshot).where(KpiSnapshot.date_to == dt.date(2024, 3, 1))).all()
    by = {(r.period, r.name): r for r in rows}
    assert {p for p, _n in by} == {"day", "month", "year"}
    assert (by["year", "reuse"].numerator, by["year", "reuse"].denominator) == (1, 3)
    assert by["year", "766.rate_results"].met is False

    # the Prefect artifact
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(stack_settings)}):
        with get_client(sync_client=True) as client:
            artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-kpis"])))
    table = artifacts[-1].data
    table = json.loads(table) if isinstance(table, str) else table
    assert {r["kpi"] for r in table} >= {"reuse", "766.rate_results"}
    (reuse,) = [r for r in table if r["kpi"] == "reuse"]
    assert reuse["year"].startswith("0.3333 (1/3)") and reuse["target"] == 0.8

    # the report, fetched as an auditor fetches it (read-only identity, SHA-256 checked), opened in Chromium
    listed = _motcua(stack_settings, "report", "list", "--prefix", "kpi/")
    assert {"kpi/2024-03-01.html", "kpi/2024-03-01.json"} <= {r["key"] for r in listed}
    page_file = tmp_path / "kpi-report.html"
    got = _motcua(stack_settings, "report", "get", done["report_key"], "-o", str(page_file))
    assert got["bytes"] == page_file.stat().st_size
    body = page_file.read_text(encoding="utf-8")
    assert "Quyết định 766/QĐ-TTg" in body and body.count("<svg") == 9
    # the auditor cannot write there
    from minio.error import S3Error

    with pytest.raises(S3Error):
        make_client(stack_settings, "auditor").put_object(stack_settings.reports_bucket, "kpi/forged.html",
                                                          io.BytesIO(b"x"), 1)
    ARTIFACTS.mkdir(exist_ok=True)
    SHOT.unlink(missing_ok=True)
    short_tmp = tempfile.mkdtemp(prefix="ui-", dir="/tmp" if len(tempfile.gettempdir()) > 40 else None)
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing (apt-get install chromium)"
    with sync_playwright() as p, contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, short_tmp, ignore_errors=True)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                    env={**os.environ, "TMPDIR": short_tmp})
        cleanup.callback(browser.close)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(page_file.as_uri())
        expect(page.get_by_role("heading", name="Chỉ số số hóa theo Quyết định 766/QĐ-TTg")).to_be_visible()
        # the 766 table's verdicts, and one trend chart per KPI, each with its target line
        expect(page.get_by_role("cell", name="Đạt", exact=True).first).to_be_visible()
        expect(page.get_by_role("cell", name="Không đạt", exact=True).first).to_be_visible()
        expect(page.get_by_role("img", name="Tái sử dụng giấy tờ đã số hóa")).to_be_visible()
        assert page.locator("svg line[stroke-dasharray]").count() >= 7  # the KPIs that have a target
        page.screenshot(path=SHOT, full_page=True)
    assert SHOT.is_file()
