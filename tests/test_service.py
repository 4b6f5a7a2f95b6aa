"""motcua as a service, on the real stack: the intake watcher and workers that `motcua up`
starts, Prefect's task workers, and the database deciding that every dossier runs exactly once.

The session's stack runs without them (tests/fixtures/stack.py); the ``service`` fixture starts
the watcher and a worker on it for this module, with a short quiet period, and stops them after.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterName,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.settings import PREFECT_API_URL, temporary_settings

from motcua.flows.service import process_round
from motcua.infra.process import stop
from motcua.infra.stack import up
from motcua.infra.state import prefect_api_url, read_state
from motcua.samples import render
from motcua.samples.documents import application_form
from motcua.services import intake_watch
from motcua.settings import Settings
from motcua.storage.models import Document, IntakeRound
from motcua.storage.s3 import make_client
from tests.fixtures.service import MOTCUA, SERVICE_ENV
from tests.test_pipeline import TODAY, _rows

pytestmark = pytest.mark.stack


def _code(seq: int) -> str:
    return f"SVC-{dt.datetime.now(dt.UTC):%H%M%S}-{seq:03d}"


def _page(folder: Path, who: str, name: str = "don.png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    page = render.render_page(application_form(who, "094300005555", "Cần Thơ", "1", TODAY), dpi=150)
    return render.save_png(page, folder / name)


def _drop(settings: Settings, code: str, files: dict[str, Path], manifest: dict | None = None) -> None:
    """What a desk PC does: put the scans into intake with the intake identity, manifest last."""
    client = make_client(settings, "intake")
    for name, path in files.items():
        client.fput_object(settings.intake_bucket, f"{code}/{name}", str(path))
    if manifest is not None:
        body = json.dumps({"code": code, **manifest}).encode()
        client.put_object(settings.intake_bucket, f"{code}/dossier.json", io.BytesIO(body), len(body))


def _rounds(settings: Settings, code: str) -> list[IntakeRound]:
    return _rows(settings, IntakeRound, dossier_code=code)


def _wait_done(settings: Settings, codes: list[str], *, rounds: int = 1, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {c: [r.state for r in _rounds(settings, c)] for c in codes}
        if all(len(s) >= rounds and all(x in ("done", "failed") for x in s) for s in states.values()):
            return states
        time.sleep(0.5)
    raise AssertionError(f"not done after {timeout} s: {states}")


def _flow_runs(settings: Settings, code: str):
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(settings)}):
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(any_=[f"digitize/{code}"])))


def test_a_file_dropped_into_intake_is_archived_with_nothing_else_started(service, tmp_path):
    code = _code(1)
    _drop(service, code, {"don.png": _page(tmp_path, "Nguyễn Văn Dịch Vụ")},
          {"procedure": {"code": "1.004227"}, "applicant": {"id": "094300005555"}})
    assert _wait_done(service, [code]) == {code: ["done"]}
    (round_,) = _rounds(service, code)
    outcome = json.loads(round_.outcome)
    assert [d["status"] for d in outcome["documents"]] == ["archived"]
    assert round_.created_by and round_.worker and round_.worker != round_.created_by
    (run,) = _flow_runs(service, code)  # one run, named after the dossier
    assert run.state.is_completed() and str(run.id) == round_.flow_run_id
    assert {"agency:H13", "procedure:1.004227"} <= set(run.tags)
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(service)}):
        with get_client(sync_client=True) as client:
            artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
            # the run's own lines and each document's are the run's, where the operator looks;
            # the worker sends its log lines every 2 s
            deadline = time.monotonic() + 30
            while True:
                logs = client.read_logs(log_filter=LogFilter(
                    flow_run_id=LogFilterFlowRunId(any_=[run.id])))
                messages = [entry.message for entry in logs]
                if any(m.startswith("don.png: archived at") for m in messages) or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    assert any(m.startswith(f"dossier {code}: round 1,") for m in messages), messages
    assert any(m.startswith("don.png: mean confidence") for m in messages), messages
    assert any(m.startswith("don.png: archived at") for m in messages), messages
    (artifact,) = [a for a in artifacts if a.type == "markdown"]
    assert artifact.key == "digitize-" + code.lower().replace(".", "-")
    assert outcome["documents"][0]["archive_key"] in artifact.data
    assert "B-LT" in artifact.data and "OCR confidence" in artifact.data


def test_motcua_digitize_follows_the_service(service, tmp_path):
    code = _code(2)
    page = _page(tmp_path, "Trần Thị Dịch Vụ")
    proc = subprocess.run([MOTCUA, "--data-dir", str(service.data_dir), "digitize", str(page),
                           "--dossier", code, "--json"], capture_output=True, text=True,
                          env=SERVICE_ENV, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["dossier"] == code and [d["status"] for d in result["documents"]] == ["archived"]
    (round_,) = _rounds(service, code)
    assert round_.worker.split(":")[1] != str(os.getpid())  # a worker ran it, not the command
    assert "waiting for the watcher" in proc.stderr


def test_exactly_once_with_two_watchers_and_duplicate_deliveries(service, tmp_path):
    """A second watcher polling at the same time, a stopped watcher's rounds handed on again,
    the same file dropped twice, and extra deliveries of process-round: one run per dossier."""
    codes = [_code(10 + i) for i in range(4)]
    for i, code in enumerate(codes):
        page = _page(tmp_path / code, f"Người {i}")
        _drop(service, code, {"don.png": page})
        _drop(service, code, {"don.png": page}, {})  # dropped again, then the manifest
    for _ in range(3):  # a second (and third) watcher, in this process, racing the real one
        intake_watch.poll(service, watcher="test-watcher")
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(service)}):
        for _ in range(3):  # deliveries nobody asked for: nothing to claim, nothing run twice
            process_round.delay()
    states = _wait_done(service, codes)
    assert states == {c: ["done"] for c in codes}
    for code in codes:
        assert len(_flow_runs(service, code)) == 1
        (doc,) = _rows(service, Document, dossier_id=_dossier_pk(service, code))
        assert doc.status == "archived"


def _dossier_pk(settings: Settings, code: str) -> int:
    from motcua.storage.models import Dossier

    (row,) = _rows(settings, Dossier, code=code)
    return row.id


def test_a_watcher_killed_after_opening_rounds_loses_nothing(service, tmp_path):
    """Rounds opened by a watcher that died before handing them on are handed on by the next."""
    info = read_state(service)
    watcher = info.services["watcher"]
    assert stop(watcher)  # the watcher is gone
    code = _code(20)
    _drop(service, code, {"don.png": _page(tmp_path, "Lê Thị Mất Điện")}, {})
    result = intake_watch.poll(service, watcher="dying-watcher")  # opened, never rung
    assert [o.round.dossier_code for o in result.opened] == [code]
    assert [r.rung_at for r in _rounds(service, code)] == [None]
    up(service)  # the watcher comes back and hands the round on
    assert _wait_done(service, [code]) == {code: ["done"]}
    assert len(_flow_runs(service, code)) == 1


def test_files_added_after_processing_are_a_new_round(service, tmp_path):
    code = _code(30)
    _drop(service, code, {"don.png": _page(tmp_path / "a", "Phan Văn Đầu")}, {})
    _wait_done(service, [code])
    _drop(service, code, {"bo-sung.png": _page(tmp_path / "b", "Phan Văn Sau")})  # no manifest
    states = _wait_done(service, [code], rounds=2)
    assert states == {code: ["done", "done"]}  # the second after the quiet period
    first, second = _rounds(service, code)
    later = json.loads(second.outcome)["documents"]
    assert [(d["source"], d["status"], d["added_later"]) for d in later] == [
        ("bo-sung.png", "archived", True)]
    assert [d["added_later"] for d in json.loads(first.outcome)["documents"]] == [False]
    docs = _rows(service, Document, dossier_id=_dossier_pk(service, code))
    assert sorted(d.intake_round for d in docs) == [1, 2]


def test_an_object_outside_any_dossier_folder_is_quarantined(service):
    client = make_client(service, "intake")
    client.put_object(service.intake_bucket, "lost.pdf", io.BytesIO(b"%PDF-1.4 lost"), 13)
    deadline = time.monotonic() + 30
    pipeline = make_client(service, "pipeline")
    while time.monotonic() < deadline and list(pipeline.list_objects(service.intake_bucket, prefix="lost.pdf")):
        time.sleep(0.5)
    kept = [o.object_name for o in pipeline.list_objects(service.quarantine_bucket, prefix="_misplaced/",
                                                         recursive=True)]
    reasons = [json.loads(pipeline.get_object(service.quarantine_bucket, k).read())
               for k in kept if k.endswith(".reason.json")]
    assert any(r["source"] == "lost.pdf" and r["code"] == "misplaced" for r in reasons)


def test_two_workers_run_twenty_dossiers_each_exactly_once(service, tmp_path):
    settings = service
    second = subprocess.Popen(
        [sys.executable, "-m", "motcua", "worker"],
        env={**os.environ, "MOTCUA_DATA_DIR": str(settings.data_dir), "MOTCUA_SERVICE": "true"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(8)  # the second worker connects to the server
        codes = [_code(100 + i) for i in range(20)]
        for i, code in enumerate(codes):
            _drop(settings, code, {"don.png": _page(tmp_path / code, f"Công Dân {i}")}, {})
        states = _wait_done(settings, codes, timeout=600)
        assert states == {c: ["done"] for c in codes}
        workers = set()
        for code in codes:
            (round_,) = _rounds(settings, code)
            workers.add(round_.worker)
            assert len(_flow_runs(settings, code)) == 1
            (doc,) = _rows(settings, Document, dossier_id=_dossier_pk(settings, code))
            assert doc.status == "archived"
        assert len(workers) == 2, workers  # both workers took dossiers
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_the_declared_deployments_are_served(service):
    from motcua.flows.deployments import NAMES
    from motcua.infra.services import DEPLOYMENTS

    assert DEPLOYMENTS == NAMES  # the stack's readiness probe waits for exactly these
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(service)}):
        with get_client(sync_client=True) as client:
            names = {f"{client.read_flow(d.flow_id).name}/{d.name}" for d in client.read_deployments()}
            crons = {client.read_flow(d.flow_id).name: d.schedules[0].schedule
                     for d in client.read_deployments() if d.name == "nightly"}
    assert set(NAMES) <= names
    assert crons["fixity-audit"].cron == "30 1 * * *" and crons["nightly-kpis"].cron == "30 0 * * *"
    assert {c.timezone for c in crons.values()} == {"Asia/Ho_Chi_Minh"}


def test_status_shows_the_watcher_and_the_worker(service):
    proc = subprocess.run([MOTCUA, "--data-dir", str(service.data_dir), "status", "--json"],
                          capture_output=True, text=True, timeout=60,
                          env=SERVICE_ENV)
    assert proc.returncode == 0, proc.stderr
    services = json.loads(proc.stdout)["services"]
    assert services["watcher"]["running"] and services["worker"]["running"]
    assert services["worker"]["urls"]["status"].startswith("http://127.0.0.1:")


def test_a_round_whose_worker_died_is_handed_on_and_archived(service, tmp_path):
    """A round taken by a worker that then died (here: a process that never existed, so it
    never says it is alive) is found silent by the watcher, handed to the live worker and
    archived; nothing waits in intake for ever."""
    code = _code(40)
    _drop(service, code, {"don.png": _page(tmp_path, "Người Mất Tích")})  # no manifest yet
    dead = "gone-host:4242"
    taken = intake_watch.open_own_round(service, code, worker=dead)  # as a claim by that worker
    assert taken.state == "running" and taken.worker == dead
    assert _wait_done(service, [code], timeout=120) == {code: ["done"]}
    (round_,) = _rounds(service, code)
    assert round_.worker not in (None, dead) and round_.number == taken.number
    assert [d["status"] for d in json.loads(round_.outcome)["documents"]] == ["archived"]
    assert round_.heartbeat_at is not None and round_.heartbeat_at >= round_.started_at


def test_a_worker_started_with_data_dir_alone_claims_from_that_data_dir(service, tmp_path, monkeypatch):
    """`motcua --data-dir X worker` without MOTCUA_DATA_DIR: the deliveries it takes claim
    rounds of X (they had claimed from the default data directory and found nothing to do,
    leaving the rounds rung and waiting)."""
    from sqlalchemy import update

    from motcua.flows import service as served
    from motcua.flows.digitize import this_process
    from motcua.storage.db import open_session

    monkeypatch.delenv("MOTCUA_DATA_DIR", raising=False)
    code = _code(50)
    _drop(service, code, {"don.png": _page(tmp_path, "Người Thứ Hai")})  # no manifest: quiet
    taken = intake_watch.open_own_round(service, code, worker="test")
    with open_session(service.db_url) as session:  # waiting, and already rung: for us only
        session.exec(update(IntakeRound).where(IntakeRound.id == taken.pk).values(
            state="created", worker=None, started_at=None, rung_at=dt.datetime.now(dt.UTC)))
        session.commit()
    monkeypatch.setattr(served, "_SERVED", [service])  # what run_worker(settings) records
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(service)}):
        said = process_round.fn()
    assert said.startswith(f"{code} round 1: done"), said
    (round_,) = _rounds(service, code)
    assert round_.state == "done" and round_.worker == this_process()
