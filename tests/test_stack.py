"""The embedded stack against the real servers: SeaweedFS 4.48 and the Prefect 3 server.

What is proved here, on the server actually installed (DESIGN §2): ``up`` is idempotent; the
credentials stay private; each S3 identity can do what it needs and is refused the rest; the
archive bucket's COMPLIANCE lock holds against the most privileged identity; every listener is on
127.0.0.1; the Prefect UI is told our API URL; ``down`` stops only our processes and removes the
sockets SeaweedFS leaves in ``/tmp``; data and ports survive ``down``/``up``.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from minio.objectlockconfig import DAYS
from minio.retention import COMPLIANCE, GOVERNANCE, Retention

from motcua.errors import ConfigurationError, StackNotRunning
from motcua.infra.process import ServiceRecord, is_running
from motcua.infra.stack import down, status, up
from motcua.infra.state import StackInfo, read_state, write_state
from motcua.settings import Settings
from motcua.storage.credentials import load_credentials
from motcua.storage.s3 import check_object_lock, client_for, ensure_buckets, make_client

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.stack  # every test here starts or talks to a stack


def _put(client: Minio, bucket: str, key: str, data: bytes = b"%PDF-1.7 test", **kw: object) -> str | None:
    return client.put_object(bucket, key, io.BytesIO(data), len(data), **kw).version_id  # type: ignore[arg-type]


def _denied(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(S3Error) as caught:
        call()
    return caught.value.code


def _get_json(url: str) -> object:
    with _NO_PROXY.open(url, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


# --- up / status ---------------------------------------------------------------------------------


def test_second_up_reuses_the_running_servers(stack_settings: Settings, stack_info: StackInfo) -> None:
    again = up(stack_settings)
    assert set(again.reused) == {"seaweedfs", "prefect", "pki"}
    assert again.started == ()
    assert {n: r.pid for n, r in again.services.items()} == {
        n: r.pid for n, r in stack_info.services.items()
    }
    # reused SeaweedFS: the self-check is not repeated, the earlier (passed) one is kept
    assert again.object_lock == stack_info.object_lock
    assert read_state(stack_settings) == again


def test_status_reports_running_services_without_secrets(stack_settings: Settings, stack_info: StackInfo) -> None:
    st = status(stack_settings)
    assert st.running
    assert st.services["seaweedfs"].pid == stack_info.services["seaweedfs"].pid
    assert st.services["prefect"].urls["api"] == stack_info.prefect_api_url
    assert st.object_lock is not None and st.object_lock.ok

    creds = load_credentials(stack_settings)
    assert creds is not None
    shown = json.dumps(st.to_json()) + str(st) + repr(st)
    for pair in creds.identities.values():
        assert pair.secret_key.get_secret_value() not in shown
        assert pair.access_key not in shown
        assert pair.masked in shown  # what is shown instead: first 4 … last 3
    assert json.dumps(stack_info.to_json()).count(creds["pipeline"].access_key) == 0


def test_credential_files_are_private_and_stable(stack_settings: Settings) -> None:
    for name in ("credentials.json", "s3-identities.json"):
        mode = stat.S_IMODE((stack_settings.data_dir / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    before = load_credentials(stack_settings)
    up(stack_settings)
    assert load_credentials(stack_settings) == before  # generated once, reused afterwards
    assert stack_settings.data_dir.joinpath("tmp").stat().st_mode & 0o077 == 0


def test_make_client_without_a_stack_says_run_motcua_up(tmp_path: Path) -> None:
    with pytest.raises(StackNotRunning) as caught:
        make_client(Settings(data_dir=tmp_path), "pipeline")
    assert caught.value.code == "stack_not_running"
    assert "motcua up" in caught.value.hint


# --- least privilege, enforced by SeaweedFS ------------------------------------------------------


def test_auditor_reads_and_lists_but_cannot_write_or_delete(stack_settings: Settings) -> None:
    pipeline = make_client(stack_settings, "pipeline")
    auditor = make_client(stack_settings, "auditor")
    _put(pipeline, "archive", "H51/2026/audit/doc.pdf", b"archived")
    _put(pipeline, "reports", "kpi/2026-11.html", b"<html>")

    assert auditor.get_object("archive", "H51/2026/audit/doc.pdf").read() == b"archived"
    listed = [o.object_name for o in auditor.list_objects("archive", prefix="H51/2026/audit/")]
    assert listed == ["H51/2026/audit/doc.pdf"]
    assert auditor.get_object("reports", "kpi/2026-11.html").read() == b"<html>"

    assert _denied(lambda: _put(auditor, "archive", "H51/2026/audit/forged.pdf")) == "AccessDenied"
    assert _denied(lambda: _put(auditor, "reports", "kpi/forged.html")) == "AccessDenied"
    assert _denied(lambda: auditor.remove_object("reports", "kpi/2026-11.html")) == "AccessDenied"
    assert _denied(lambda: auditor.get_object("intake", "anything")) == "AccessDenied"
    assert _denied(lambda: list(auditor.list_objects("quarantine"))) == "AccessDenied"
    assert pipeline.get_object("reports", "kpi/2026-11.html").read() == b"<html>"  # still there


def test_intake_writes_to_intake_only(stack_settings: Settings) -> None:
    pipeline = make_client(stack_settings, "pipeline")
    intake = make_client(stack_settings, "intake")
    _put(pipeline, "archive", "H51/2026/secret/doc.pdf", b"archived")

    _put(intake, "intake", "000.00.20.H51-261122-0001/scan-1.pdf", b"scan")
    assert pipeline.get_object("intake", "000.00.20.H51-261122-0001/scan-1.pdf").read() == b"scan"

    assert _denied(lambda: intake.get_object("archive", "H51/2026/secret/doc.pdf")) == "AccessDenied"
    assert _denied(lambda: list(intake.list_objects("archive"))) == "AccessDenied"
    assert _denied(lambda: _put(intake, "archive", "H51/2026/forged.pdf")) == "AccessDenied"
    assert _denied(lambda: _put(intake, "reports", "forged.html")) == "AccessDenied"
    assert _denied(lambda: intake.get_object("intake", "000.00.20.H51-261122-0001/scan-1.pdf")) == (
        "AccessDenied"
    )


def test_intake_write_also_allows_delete_in_intake(stack_settings: Settings) -> None:
    """A SeaweedFS 4.48 limit, kept visible: its identities file has no separate delete action.

    If this starts failing after an upgrade, SeaweedFS separated them: tighten ``intake``.
    """
    intake = make_client(stack_settings, "intake")
    pipeline = make_client(stack_settings, "pipeline")
    _put(intake, "intake", "000.00.20.H51-261122-0009/scan.pdf", b"scan")
    intake.remove_object("intake", "000.00.20.H51-261122-0009/scan.pdf")
    assert _denied(
        lambda: pipeline.stat_object("intake", "000.00.20.H51-261122-0009/scan.pdf")
    ) == "NoSuchKey"


def test_pipeline_archives_with_retention_but_cannot_create_buckets(stack_settings: Settings) -> None:
    pipeline = make_client(stack_settings, "pipeline")
    until = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    version = _put(pipeline, "archive", "H51/2026/retained/doc.pdf", retention=Retention(COMPLIANCE, until))
    assert version
    retention = pipeline.get_object_retention("archive", "H51/2026/retained/doc.pdf", version_id=version)
    assert retention is not None
    assert (retention.mode, retention.retain_until_date) == (COMPLIANCE, until)
    for bucket in ("intake", "quarantine", "reports"):
        _put(pipeline, bucket, "pipeline-probe.txt")
    assert _denied(lambda: pipeline.make_bucket("pipeline-made")) == "AccessDenied"


def test_anonymous_and_unknown_keys_are_refused(stack_settings: Settings, stack_info: StackInfo) -> None:
    assert stack_info.s3 is not None
    anonymous = Minio(stack_info.s3.endpoint, secure=False, region=stack_settings.s3_region)
    assert _denied(lambda: anonymous.list_buckets()) == "AccessDenied"
    assert _denied(lambda: anonymous.get_object("archive", "_selfcheck/x")) == "AccessDenied"
    admin = make_client(stack_settings, "admin")
    assert _denied(lambda: admin.make_bucket("not-ours")) == "AccessDenied"  # Admin:<bucket> only


# --- object lock -----------------------------------------------------------------------------------


def test_archive_bucket_is_locked_in_compliance_mode(stack_settings: Settings, stack_info: StackInfo) -> None:
    admin = make_client(stack_settings, "admin")
    config = admin.get_object_lock_config("archive")
    assert (config.mode, config.duration, config.duration_unit) == (
        COMPLIANCE, stack_settings.archive_retention_days, DAYS,
    )
    check = stack_info.object_lock
    assert check is not None and check.ok and check.delete_refused_with == "AccessDenied"
    assert check.key.startswith("_selfcheck/") and check.mode == COMPLIANCE
    assert admin.stat_object("archive", check.key, version_id=check.version_id).size > 0


def test_a_locked_version_cannot_be_deleted_or_shortened(stack_settings: Settings) -> None:
    pipeline = make_client(stack_settings, "pipeline")
    admin = make_client(stack_settings, "admin")
    key = "H51/2026/000.00.20.H51-261122-0002/doc.pdf"
    version = _put(pipeline, "archive", key, b"signed pdf")  # default retention from the bucket
    retention = pipeline.get_object_retention("archive", key, version_id=version)
    assert retention is not None and retention.mode == COMPLIANCE
    expected_until = datetime.now(UTC) + timedelta(days=stack_settings.archive_retention_days)
    assert abs(retention.retain_until_date - expected_until) < timedelta(days=1)

    for who in (pipeline, admin):  # admin holds every action on the bucket, and still may not
        assert _denied(lambda c=who: c.remove_object("archive", key, version_id=version)) == "AccessDenied"
    shorter = Retention(GOVERNANCE, datetime.now(UTC) + timedelta(days=1))
    assert _denied(
        lambda: pipeline.set_object_retention("archive", key, shorter, version_id=version)
    ) == "AccessDenied"
    pipeline.remove_object("archive", key)  # no version id: only a delete marker is added
    assert pipeline.get_object("archive", key, version_id=version).read() == b"signed pdf"


def test_self_check_fails_on_a_bucket_without_object_lock(stack_settings: Settings) -> None:
    admin = make_client(stack_settings, "admin")
    check = check_object_lock(admin, "reports")
    assert not check.ok
    assert "refused" in check.detail and "InvalidRequest" in check.detail
    with pytest.raises(ConfigurationError, match="object lock is NOT enforced on bucket 'reports'"):
        check.raise_if_failed()
    unlocked_archive = stack_settings.model_copy(update={"archive_bucket": "quarantine"})
    with pytest.raises(ConfigurationError, match="'quarantine' exists without object lock"):
        ensure_buckets(admin, unlocked_archive)


# --- network exposure -----------------------------------------------------------------------------


def test_every_listener_is_on_loopback_and_recorded(stack_info: StackInfo) -> None:
    pids = {rec.pid: name for name, rec in stack_info.services.items()}
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    seen: dict[str, set[int]] = {name: set() for name in pids.values()}
    for line in out.splitlines():
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)} & pids.keys()
        if not owners:
            continue
        local = line.split()[3]
        host, _, port = local.rpartition(":")
        assert host == "127.0.0.1", f"{pids[owners.pop()]} listens on {local}"
        for pid in owners:
            seen[pids[pid]].add(int(port))
    for name, rec in stack_info.services.items():
        assert seen[name] == set(rec.ports.values()), f"{name}: {seen[name]} vs {rec.ports}"
    assert len(seen["seaweedfs"]) == 8  # master, volume, filer, s3 and their gRPC: nothing else


def test_seaweed_unix_sockets_are_where_down_will_look(stack_info: StackInfo) -> None:
    """The four gRPC sockets are always in /tmp (SeaweedFS decides); the filer's and the S3
    gateway's go to the private data_dir/tmp, unless that path is too long for a unix socket
    address (a deep checkout), when they stay in /tmp too. Either way `down` knows them."""
    cleanup = stack_info.services["seaweedfs"].cleanup
    assert len(cleanup) == 6 and all(p.is_socket() for p in cleanup)
    grpc = [p for p in cleanup if "-grpc-" in p.name]
    assert len(grpc) == 4 and all(p.parent == Path("/tmp") for p in grpc)
    private_dir = stack_info.data_dir / "tmp"
    fits = len(str(private_dir / "seaweedfs-filer-65535.sock")) <= 107
    for p in cleanup:
        if p not in grpc:
            assert p.parent == (private_dir if fits else Path("/tmp")), p


def test_prefect_server_answers_and_ui_points_at_our_api(stack_info: StackInfo) -> None:
    api = stack_info.prefect_api_url
    assert api is not None and api.startswith("http://127.0.0.1:") and api.endswith("/api")
    assert _get_json(f"{api}/health") is True
    ui_settings = _get_json(api.removesuffix("api") + "ui-settings")
    assert isinstance(ui_settings, dict)
    assert ui_settings["api_url"] == api


def test_prefect_server_writes_wait_for_each_other_instead_of_failing(stack_info: StackInfo) -> None:
    """Concurrent writes to the stack's Prefect server (SQLite) all succeed at once.

    Prefect's own server, started plainly, answered 115–116 of 240 writes of this burst with 503
    ("database is locked", SQLITE_BUSY_SNAPSHOT), which its client retries only after 2 s
    (seen 2026-12-03; motcua/infra/prefect_main.py). No retries here: each answer is the first.
    """
    api = stack_info.prefect_api_url
    assert api is not None
    answers: list[int] = []

    def post(path: str, body: object) -> int:
        request = urllib.request.Request(api + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def writer(n: int) -> None:
        for i in range(15):
            answers.append(post("/task_runs/", {
                "name": f"burst-{n}-{i}", "task_key": "test-burst", "dynamic_key": f"{n}-{i}-{time.time_ns()}",
                "state": {"type": "SCHEDULED"}}))
            answers.append(post("/logs/", [{"name": "test-burst", "level": 20, "message": "burst",
                                            "timestamp": datetime.now(UTC).isoformat()}]))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 240
    assert sorted(set(answers)) == [201], {code: answers.count(code) for code in set(answers)}


# --- down -----------------------------------------------------------------------------------------


def test_down_stops_everything_and_data_survives_the_next_up(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path_factory.mktemp("motcua-updown"))
    first = up(settings)
    try:
        key = "H13/2026/000.00.20.H13-261122-0003/doc.pdf"
        version = _put(make_client(settings, "pipeline"), "archive", key, b"kept")
        records = list(first.services.values())
        sockets = [p for rec in records for p in rec.cleanup]
        assert sockets and all(p.exists() for p in sockets)

        assert sorted(down(settings)) == ["pki", "prefect", "seaweedfs"]
        assert not any(is_running(rec) for rec in records)
        assert [p for p in sockets if p.exists()] == []
        after = read_state(settings)
        assert after is not None and after.services == {} and after.s3 is None
        assert not status(settings).running
        with pytest.raises(StackNotRunning):
            make_client(settings, "pipeline")
        assert down(settings) == []  # nothing left to stop

        second = up(settings)
        assert second.started == ("seaweedfs", "prefect", "pki")
        assert {n: r.ports for n, r in second.services.items()} == {
            n: r.ports for n, r in first.services.items()
        }  # same endpoints as before
        assert second.object_lock is not None and second.object_lock.ok  # re-checked on restart
        assert second.object_lock.key != first.object_lock.key  # type: ignore[union-attr]
        kept = make_client(settings, "auditor").get_object("archive", key, version_id=version)
        assert kept.read() == b"kept"

        # new bucket names change the identities file: SeaweedFS is restarted, Prefect reused
        renamed = settings.model_copy(update={"reports_bucket": "reports-2026"})
        third = up(renamed)
        assert (third.started, third.reused) == (("seaweedfs",), ("prefect", "pki"))
        _put(make_client(renamed, "pipeline"), "reports-2026", "kpi.html", b"<html>")
        assert make_client(renamed, "auditor").get_object("reports-2026", "kpi.html").read() == b"<html>"
    finally:
        down(settings)


def test_down_never_signals_a_process_it_did_not_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        # Until the child has exec'd, /proc shows the forked parent's command line.
        for _ in range(100):
            if Path(f"/proc/{stranger.pid}/cmdline").read_bytes().split(b"\0")[:3] == [
                    os.fsencode(a) for a in stranger.args]:
                break
            time.sleep(0.05)
        stat_fields = Path(f"/proc/{stranger.pid}/stat").read_text().rpartition(")")[2].split()
        ticks = int(stat_fields[19])  # field 22, the process's start time
        base = ServiceRecord(
            name="seaweedfs", pid=stranger.pid, start_ticks=ticks, argv=tuple(stranger.args),
            ports={}, urls={}, log_file=tmp_path / "x.log", cleanup=(), stop_grace=0.1,
            started_at=datetime.now(UTC),
        )
        assert is_running(base)  # the check does recognise a matching process...
        other_argv = base.model_copy(update={"argv": ("weed", "server", "-s3")})
        recycled = base.model_copy(update={"name": "prefect", "start_ticks": ticks - 1})
        write_state(settings, StackInfo(
            data_dir=tmp_path, updated_at=datetime.now(UTC),
            services={"seaweedfs": other_argv, "prefect": recycled},
        ))
        assert down(settings) == []  # ...and neither a different argv nor an older start passes
        assert stranger.poll() is None, "down killed a process it did not start"
    finally:
        stranger.kill()
        stranger.wait()


def test_client_for_uses_exactly_the_given_identity(stack_settings: Settings, stack_info: StackInfo) -> None:
    creds = load_credentials(stack_settings)
    assert creds is not None and stack_info.s3 is not None
    wrong = creds["auditor"].model_copy(update={"access_key": creds["auditor"].access_key[::-1]})
    client = client_for(stack_info.s3.endpoint, wrong, region=stack_settings.s3_region, secure=False)
    assert _denied(lambda: client.list_buckets()) == "InvalidAccessKeyId"
