"""The `motcua` command as a user runs it (a subprocess), against the session's stack."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from motcua import render
from motcua.samples import decision

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
    f = tmp_path / "a.png"
    f.write_bytes(b"x")
    bad_code = motcua(stack_settings, "digitize", str(f), "--dossier", "có dấu?")
    assert bad_code.returncode == 3 and "not a dossier code" in bad_code.stderr
    missing = motcua(stack_settings, "digitize", str(tmp_path / "nope.png"), "--dossier", "X-1")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


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
