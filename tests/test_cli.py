"""The `motcua` command as a user runs it (a subprocess), against the session's stack."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from motcua.samples import render
from motcua.samples.documents import decision

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def motcua(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOTCUA, "--data-dir", str(settings.data_dir), *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def cli_dossier(stack_settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    page = render.render_page(decision("15/QĐ-SNNMT", "Trần Thị Thủy", "094190001111", "88",
                                       dt.date(2026, 11, 20)), dpi=200)
    good = render.save_png(page, folder / "quyet-dinh.png")
    broken = folder / "ban-sao.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)  # a JPEG header and nothing else
    code = f"CLI-{dt.datetime.now(dt.UTC):%H%M%S}"
    proc = motcua(stack_settings, "digitize", str(good), str(broken), "--dossier", code,
                  "--applicant", "094190001111", "--doc-type", "quyet_dinh", "--json")
    return code, proc, good


def test_digitize_json_reports_each_document_and_exits_2_on_quarantine(cli_dossier):
    code, proc, good = cli_dossier
    assert proc.returncode == 2, proc.stderr
    result = json.loads(proc.stdout)  # stdout is exactly one JSON document; logs go to stderr
    assert result["dossier"] == code
    docs = {d["source"]: d for d in result["documents"]}
    archived, quarantined = docs["quyet-dinh.png"], docs["ban-sao.jpg"]
    assert archived["status"] == "archived" and archived["signature_level"] == "B-LT"
    assert archived["pages"] == 1 and archived["ocr_confidence"] > 80
    assert archived["archive_key"].endswith(".pdf") and len(archived["sha256"]) == 64
    assert "reason" not in archived
    assert quarantined["status"] == "quarantined" and quarantined["archive_key"] is None
    assert quarantined["reason"].startswith("corrupt: ")


def test_digitize_human_output_names_the_quarantined_file(stack_settings, cli_dossier):
    code, _, good = cli_dossier
    proc = motcua(stack_settings, "digitize", str(good), "--dossier", code)  # already archived
    assert proc.returncode == 0, proc.stderr
    assert "archived (already)" in proc.stdout and code in proc.stdout


def test_archive_get_downloads_with_the_auditor_identity(stack_settings, cli_dossier, tmp_path):
    _, proc, _ = cli_dossier
    doc = next(d for d in json.loads(proc.stdout)["documents"] if d["status"] == "archived")
    out = tmp_path / "copy.pdf"
    got = motcua(stack_settings, "archive", "get", doc["archive_key"], "-o", str(out), "--json")
    assert got.returncode == 0, got.stderr
    info = json.loads(got.stdout)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == doc["sha256"] == info["sha256"]
    assert info["retention"] == "COMPLIANCE"
    missing = motcua(stack_settings, "archive", "get", "H13/1999/nope.pdf", "-o", str(out))
    assert missing.returncode == 1 and "no object" in missing.stderr


def test_audit_verify_cli_exit_0_when_all_holds(stack_settings, cli_dossier):
    code, _, _ = cli_dossier
    proc = motcua(stack_settings, "audit", "verify", code, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and len(report["documents"]) == 1  # only archived documents are audited
    unknown = motcua(stack_settings, "audit", "verify", "NO-SUCH-DOSSIER")
    assert unknown.returncode == 3 and "no dossier" in unknown.stderr


def test_bad_arguments_get_clear_errors(stack_settings, tmp_path):
    """Invalid arguments exit 2, whatever is wrong, with the whole message: never a framed box
    cut to the terminal's width, however long the path."""
    f = tmp_path / "a.png"
    f.write_bytes(b"x")
    bad_code = motcua(stack_settings, "digitize", str(f), "--dossier", "có dấu?")
    assert bad_code.returncode == 2 and "'có dấu?' is not a dossier code" in bad_code.stderr
    deep = tmp_path.joinpath(*["thư-mục-rất-dài-" + "x" * 40] * 4)
    missing = motcua(stack_settings, "digitize", str(deep / "nope.png"), "--dossier", "X-1")
    assert missing.returncode == 2, missing.stderr
    assert f"{deep / 'nope.png'}' does not exist" in missing.stderr and "…" not in missing.stderr
    unknown = motcua(stack_settings, "frobnicate")
    assert unknown.returncode == 2 and "No such command 'frobnicate'" in unknown.stderr


def test_an_unknown_setting_stops_every_command(stack_settings, tmp_path):
    env = {**os.environ, "MOTCUA_SIGNATURE_LVL": "B-LTA"}
    for args in (("status",), ("down", "--json"), ("samples", str(tmp_path))):
        proc = subprocess.run([MOTCUA, "--data-dir", str(stack_settings.data_dir), *args],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 3, (args, proc.stdout, proc.stderr)
        assert "unknown setting MOTCUA_SIGNATURE_LVL" in proc.stderr + proc.stdout
        assert "MOTCUA_SIGNATURE_LEVEL" in proc.stderr + proc.stdout
    assert list(tmp_path.iterdir()) == []  # nothing was done
    bad_value = subprocess.run([MOTCUA, "--data-dir", str(stack_settings.data_dir), "status"],
                               capture_output=True, text=True, timeout=120,
                               env={**os.environ, "MOTCUA_STAMP_PAGE": "0"})
    assert bad_value.returncode == 3 and "MOTCUA_STAMP_PAGE" in bad_value.stderr
    assert "Traceback" not in bad_value.stderr
    running = motcua(stack_settings, "status", "--json")  # and the stack was not stopped
    assert running.returncode == 0 and json.loads(running.stdout)["running"]


def test_every_folder_sees_the_same_data_directory(tmp_path):
    """No data dir given: one place per user (~/.motcua), whatever the current folder."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "MOTCUA_DATA_DIR"} | {"HOME": str(home)}
    seen = set()
    for folder in (tmp_path / "a", tmp_path / "b" / "c"):
        folder.mkdir(parents=True)
        proc = subprocess.run([MOTCUA, "status", "--json"], capture_output=True, text=True,
                              env=env, cwd=folder, timeout=120)
        assert proc.returncode == 1, proc.stderr  # nothing runs there yet
        seen.add(json.loads(proc.stdout)["data_dir"])
    assert seen == {str(home / ".motcua")}


def test_status_and_up_json_never_show_secrets(stack_settings):
    creds = json.loads((stack_settings.data_dir / "credentials.json").read_text())
    secrets = [v["secret_key"] for v in creds["identities"].values()]
    full_keys = [v["access_key"] for v in creds["identities"].values()]
    for args in (("status", "--json"), ("up", "--json"), ("status",)):
        proc = motcua(stack_settings, *args)
        assert proc.returncode == 0, proc.stderr
        shown = proc.stdout + proc.stderr
        assert not any(s in shown for s in secrets + full_keys)
    status = json.loads(motcua(stack_settings, "status", "--json").stdout)
    assert status["running"] and set(status["services"]) == {"seaweedfs", "prefect", "pki"}


def test_digitize_takes_any_file_name(stack_settings, tmp_path):
    """The names that crashed `motcua digitize` (S3 refuses backslashes; a newline, a
    right-to-left override): exit 0, every file archived, names shown escaped."""
    names = ["..\\..\\evil.png", "dong1\ndong2.png", "rtl\u202egnp.png"]
    paths = []
    for i, name in enumerate(names):
        folder = tmp_path / str(i)
        folder.mkdir()
        page = render.render_page(decision(f"{i + 1}/QĐ-SNNMT", "Lê Văn Tên", "094190002222", "9",
                                           dt.date(2026, 11, 20)), dpi=150)
        paths.append(str(render.save_png(page, folder / name)))
    code = f"CLI-NAMES-{dt.datetime.now(dt.UTC):%H%M%S}"
    proc = motcua(stack_settings, "digitize", *paths, "--dossier", code, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [d["source"] for d in result["documents"]] == [
        "..\\\\..\\\\evil.png", "dong1\\ndong2.png", "rtl\\u202egnp.png"]
    assert all(d["status"] == "archived" for d in result["documents"])
