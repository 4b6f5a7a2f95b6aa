"""The scanner drop (infra/drop.py): the intake bucket over SFTP and WebDAV, on the real stack.

A dossier uploaded with a real SFTP client (curl's libssh2) and another over WebDAV are both
archived by the watcher and the worker; the login is the only way in (no password, a wrong one,
a key from ``~/.ssh/authorized_keys``: refused); the drop's S3 identity lists and writes intake
and nothing else; no secret is in any command line; ``motcua status --json`` gives both URLs.

The ``drop_service`` fixture starts the service (watcher, worker, drop) on the session's stack
for this module, as ``tests/test_service.py`` does, and stops it after.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from minio.error import S3Error

from motcua.infra.credentials import load_or_create_credentials
from motcua.infra.ports import allocate_ports
from motcua.infra.process import ServiceRecord, stop
from motcua.infra.seaweed import identities_config
from motcua.infra.stack import status, up
from motcua.infra.state import read_state
from motcua.settings import Settings
from motcua.storage.credentials import StackCredentials, load_credentials
from motcua.storage.s3 import client_for, make_client
from tests.test_service import _page, _rounds, _wait_done

MOTCUA = str(Path(sys.executable).with_name("motcua"))
CURL = ("curl", "--silent", "--show-error", "--noproxy", "*", "--max-time", "60")


@pytest.fixture(scope="module")
def drop_service(stack_settings: Settings):
    settings = stack_settings.model_copy(update={"service": True, "intake_quiet_seconds": 3.0})
    up(settings)
    st = status(settings)
    assert all(st.services[n].running for n in ("watcher", "worker", "drop")), st.to_json()
    yield settings
    up(stack_settings)  # service off again: watcher, worker and drop are stopped
    assert "drop" not in status(stack_settings).services


@pytest.fixture(scope="module")
def creds(drop_service: Settings) -> StackCredentials:
    found = load_credentials(drop_service)
    assert found is not None and found.drop is not None
    return found


def _record(settings: Settings) -> ServiceRecord:
    info = read_state(settings)
    assert info is not None
    return info.services["drop"]


def _code(seq: int) -> str:
    return f"DROP-{dt.datetime.now(dt.UTC):%H%M%S}-{seq:03d}"


def _manifest(tmp: Path, code: str) -> Path:
    path = tmp / f"{code}.json"
    path.write_text(json.dumps({"code": code, "procedure": {"code": "1.004227"},
                                "applicant": {"id": "094300005555"}}))
    return path


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CURL, *args], capture_output=True, text=True, timeout=90)


def _sftp_put(url: str, login: str, path: Path, target: str) -> subprocess.CompletedProcess[str]:
    # --insecure: the drop's host key is not in this machine's known_hosts
    return _curl("--insecure", "--ftp-create-dirs", "-u", login, "-T", str(path), f"{url}/{target}")


def _webdav(method: str, url: str, login: str | None, path: Path | None = None) -> int:
    args = ["-o", "/dev/null", "-w", "%{http_code}", "-X", method]
    if login is not None:
        args += ["-u", login]
    if path is not None:
        args += ["-T", str(path)]
    proc = _curl(*args, url)
    return int(proc.stdout or 0)


def _children(pid: int) -> dict[int, tuple[str, ...]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            argv = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == pid:
            found[int(entry.name)] = tuple(os.fsdecode(a) for a in argv)
    return found


def _archived(settings: Settings, code: str) -> list[str]:
    (round_,) = _rounds(settings, code)
    assert round_.state == "done", round_.outcome
    return [d["status"] for d in json.loads(round_.outcome)["documents"]]


# --- dossiers in through SFTP and WebDAV -------------------------------------------------------


def test_a_dossier_over_sftp_and_one_over_webdav_are_archived(drop_service, creds, tmp_path):
    urls = _record(drop_service).urls
    login = f"{creds.drop.user}:{creds.drop.password.get_secret_value()}"
    sftp_code, dav_code = _code(1), _code(2)
    sftp_page = _page(tmp_path / "sftp", "Nguyễn Văn Máy Quét")
    dav_page = _page(tmp_path / "dav", "Trần Thị Thư Mục")

    for name, path in (("don.png", sftp_page), ("dossier.json", _manifest(tmp_path, sftp_code))):
        proc = _sftp_put(urls["sftp"], login, path, f"{sftp_code}/{name}")
        assert proc.returncode == 0, proc.stderr

    assert _webdav("MKCOL", f"{urls['webdav']}/{dav_code}/", login) == 201
    for name, path in (("don.png", dav_page), ("dossier.json", _manifest(tmp_path, dav_code))):
        assert _webdav("PUT", f"{urls['webdav']}/{dav_code}/{name}", login, path) == 201

    # what the drop received, it cannot give back: no Read on intake (ID-card scans)
    back = _curl("--insecure", "-u", login, "-o", str(tmp_path / "back.png"),
                 f"{urls['sftp']}/{sftp_code}/don.png")
    assert back.returncode != 0
    got = subprocess.run([*CURL, "-u", login, f"{urls['webdav']}/{dav_code}/don.png"],
                         capture_output=True, timeout=90).stdout
    assert got != dav_page.read_bytes()

    states = _wait_done(drop_service, [sftp_code, dav_code])
    assert states == {sftp_code: ["done"], dav_code: ["done"]}
    assert _archived(drop_service, sftp_code) == ["archived"]
    assert _archived(drop_service, dav_code) == ["archived"]


# --- the login is the only way in ----------------------------------------------------------------


def test_no_password_or_a_wrong_one_is_refused(drop_service, creds, tmp_path):
    urls = _record(drop_service).urls
    user = creds.drop.user
    scan = tmp_path / "x.pdf"
    scan.write_bytes(b"%PDF-1.4 refused")
    code = _code(3)
    for login in (f"{user}:", f"{user}:wrong-password", "anonymous:"):
        proc = _sftp_put(urls["sftp"], login, scan, f"{code}/x.pdf")
        assert proc.returncode == 67, (login, proc.returncode, proc.stderr)  # CURLE_LOGIN_DENIED
    for login in (None, f"{user}:wrong-password", f"{user}:"):
        assert _webdav("PROPFIND", urls["webdav"] + "/", login) == 401
        assert _webdav("MKCOL", f"{urls['webdav']}/{code}/", login) == 401
        assert _webdav("PUT", f"{urls['webdav']}/{code}/x.pdf", login, scan) == 401
    pipeline = make_client(drop_service, "pipeline")
    assert list(pipeline.list_objects(drop_service.intake_bucket, prefix=f"{code}/")) == []


def _key_login(port: int, key: Path) -> subprocess.CompletedProcess[str]:
    batch = key.with_suffix(".batch")
    batch.write_text("ls\n")
    return subprocess.run(
        ["sftp", "-b", str(batch), "-i", str(key), "-P", str(port), "-o", "BatchMode=yes",
         "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20", "scanner@127.0.0.1"],
        capture_output=True, text=True, timeout=60)


def test_a_key_in_the_machines_authorized_keys_does_not_open_the_sftp_drop(
    drop_service, tmp_path, monkeypatch
):
    """The drop restarted with a HOME whose ~/.ssh/authorized_keys holds a key: still refused.
    Control: a plain ``rclone serve sftp`` with that HOME and no --authorized-keys accepts it."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (home / ".ssh" / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
    monkeypatch.setenv("HOME", str(home))
    stop(_record(drop_service))
    up(drop_service)  # only the drop is started again, now with this HOME
    rec = _record(drop_service)
    assert status(drop_service).services["drop"].running

    (sftp_argv,) = [a for a in _children(rec.pid).values() if a[1:3] == ("serve", "sftp")]
    keys_file = Path(sftp_argv[sftp_argv.index("--authorized-keys") + 1])
    assert keys_file.read_text() == "" and stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    refused = _key_login(rec.ports["sftp"], key)
    assert refused.returncode != 0 and "Permission denied" in refused.stderr, refused.stderr

    served = tmp_path / "served"
    served.mkdir()
    port = allocate_ports(["control"])["control"]
    control = subprocess.Popen(
        ["rclone", "serve", "sftp", str(served), "--config", "/notfound", "--user", "u", "--pass",
         "p", "--cache-dir", str(tmp_path / "cache"), "--addr", f"127.0.0.1:{port}"],
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        accepted = _key_login(port, key)
        assert accepted.returncode == 0, accepted.stderr  # the key works where it is allowed
    finally:
        control.terminate()
        control.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- the drop's S3 identity: list and write intake, nothing else --------------------------------


def test_the_drop_identity_lists_and_writes_intake_and_nothing_else(drop_service, creds):
    info = read_state(drop_service)
    assert info is not None and info.s3 is not None
    drop = client_for(info.s3.endpoint, creds["drop"], region=drop_service.s3_region, secure=False)
    pipeline = make_client(drop_service, "pipeline")
    pipeline.put_object(drop_service.archive_bucket, "H13/2026/drop-probe/doc.pdf",
                        io.BytesIO(b"archived"), 8)

    def denied(call) -> str:  # type: ignore[no-untyped-def]
        with pytest.raises(S3Error) as caught:
            call()
        return caught.value.code

    for bucket in (drop_service.archive_bucket, drop_service.quarantine_bucket,
                   drop_service.reports_bucket):
        assert denied(lambda b=bucket: list(drop.list_objects(b))) == "AccessDenied"
        assert denied(lambda b=bucket: drop.put_object(b, "forged.pdf", io.BytesIO(b"x"), 1)) == (
            "AccessDenied")
    assert denied(lambda: drop.get_object(drop_service.archive_bucket,
                                          "H13/2026/drop-probe/doc.pdf")) == "AccessDenied"
    list(drop.list_objects(drop_service.intake_bucket))  # allowed: rclone lists what it serves
    key = "_drop-probe.pdf"  # no dossier folder: the watcher quarantines it as misplaced
    drop.put_object(drop_service.intake_bucket, key, io.BytesIO(b"%PDF"), 4)
    assert denied(lambda: drop.get_object(drop_service.intake_bucket, key)) in (
        "AccessDenied", "NoSuchKey")  # no Read, whether or not the watcher has moved it yet
    assert denied(lambda: drop.make_bucket("drop-made")) == "AccessDenied"


def test_identities_file_gives_the_drop_list_and_write_on_intake(drop_service, creds):
    config = identities_config(drop_service, creds)
    (entry,) = [i for i in config["identities"] if i["name"] == "motcua-drop"]  # type: ignore[index]
    assert sorted(entry["actions"]) == [f"List:{drop_service.intake_bucket}",
                                        f"Write:{drop_service.intake_bucket}"]


# --- processes, status ---------------------------------------------------------------------------


def test_no_secret_in_any_command_line_and_both_servers_on_loopback(drop_service, creds):
    rec = _record(drop_service)
    children = _children(rec.pid)
    assert sorted(a[1:3] for a in children.values()) == [("serve", "sftp"), ("serve", "webdav")]
    secrets = [creds.drop.password.get_secret_value(), creds["drop"].access_key,
               creds["drop"].secret_key.get_secret_value()]
    for pid in (rec.pid, *children):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        assert not [s for s in secrets if s in cmdline], f"a secret is in the argv of {pid}"
        environ = Path(f"/proc/{pid}/environ")
        assert environ.stat().st_uid == os.getuid() and "AWS_CA_BUNDLE" not in environ.read_text()
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    listening = {line.split()[3] for line in out.splitlines()
                 if {int(p) for p in re.findall(r"pid=(\d+)", line)} & set(children)}
    assert listening == {f"127.0.0.1:{rec.ports['sftp']}", f"127.0.0.1:{rec.ports['webdav']}"}


def test_status_json_gives_both_urls_and_no_secret(drop_service, creds):
    env = {**os.environ, "MOTCUA_SERVICE": "true", "MOTCUA_INTAKE_QUIET_SECONDS": "3"}
    proc = subprocess.run([MOTCUA, "--data-dir", str(drop_service.data_dir), "status", "--json"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    drop = json.loads(proc.stdout)["services"]["drop"]
    assert drop["running"], drop
    assert re.fullmatch(r"sftp://127\.0\.0\.1:\d+", drop["urls"]["sftp"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", drop["urls"]["webdav"])
    for secret in (creds.drop.password.get_secret_value(), creds["drop"].access_key,
                   creds["drop"].secret_key.get_secret_value()):
        assert secret not in proc.stdout
    assert creds["drop"].masked in proc.stdout


# --- credentials.json from before the drop -------------------------------------------------------


def test_an_older_credentials_file_is_completed_not_refused(tmp_path):
    settings = Settings(data_dir=tmp_path)
    old = {"version": 1, "created_at": "2026-11-01T00:00:00Z", "identities": {
        name: {"access_key": f"{name.upper():A<20}", "secret_key": f"secret-of-{name}-" + "x" * 30}
        for name in ("admin", "pipeline", "intake", "auditor")}}
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(old))
    path.chmod(0o600)

    loaded = load_credentials(settings)  # readable as it is (status works before `up`)
    assert loaded is not None and not loaded.complete and loaded.drop is None

    creds = load_or_create_credentials(settings)
    assert creds.complete and creds.drop is not None and creds.drop.password.get_secret_value()
    for name, pair in old["identities"].items():  # the existing keys are kept
        assert creds[name].access_key == pair["access_key"]  # type: ignore[index]
        assert creds[name].secret_key.get_secret_value() == pair["secret_key"]  # type: ignore[index]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert set(stored["identities"]) == {"admin", "pipeline", "intake", "auditor", "drop"}
    assert stored["drop"] == {"user": creds.drop.user,
                              "password": creds.drop.password.get_secret_value()}
    assert stored["created_at"].startswith("2026-11-01")
    assert load_or_create_credentials(settings) == creds  # complete now: reused as it is
