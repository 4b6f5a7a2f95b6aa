"""Inputs as they really arrive, on the real stack: hostile file names, bad manifests, and
quarantine as an outcome rather than an alarm (issue 12).

Every assertion is about bytes, names or states that could be otherwise: what S3 holds, what the
database and the archived manifest say, which state Prefect recorded for the task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import unicodedata

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.settings import PREFECT_API_URL, temporary_settings
from pypdf import PdfReader

from motcua.cli.digitize import exit_code
from motcua.core.decode import ScanOptions
from motcua.core.pdfinput import inspect_pdf
from motcua.core.quality import character_error_rate
from motcua.flows.launch import digitize_files, run_dossier
from motcua.infra.state import prefect_api_url
from motcua.samples import digital, documents, render
from motcua.samples.documents import application_form
from motcua.services.audit import audit
from motcua.signing.factory import trust_roots
from motcua.signing.verify import verify_pdf
from motcua.storage import archive
from motcua.storage.models import Document, StepEvent, SubmittedSignature
from motcua.storage.s3 import make_client
from tests.fixtures.pki import sign_with
from tests.test_pipeline import TODAY, _code, _rows

SCAN_OPTS = ScanOptions(max_file_bytes=50 * 2**20, max_pages=20, max_page_pixels=100_000_000,
                        min_dpi=200, drop_blank_pages=False, workers=2)

NFC = unicodedata.normalize("NFC", "kết-quả.png")
NFD = unicodedata.normalize("NFD", "kết-quả.png")


def _page(tmp_path, name: str, who: str, dpi: int = 150):
    """A one-page form whose text differs by ``who`` (so each file is its own document)."""
    page = render.render_page(application_form(who, "094300001111", "Cần Thơ", "2", TODAY), dpi=dpi)
    folder = tmp_path / hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    folder.mkdir()
    return render.save_png(page, folder / name)


def _archived_json(settings, archive_key: str) -> dict:
    client = make_client(settings, "auditor")
    return json.loads(archive.get_bytes(client, settings.archive_bucket,
                                        archive_key.removesuffix(".pdf") + ".json"))


def test_hostile_file_names_through_digitize(stack_settings, tmp_path):
    """Names with a newline, backslashes, control characters, a right-to-left override, and the
    same name in NFC and NFD: nothing crashes, nothing is lost, every name is kept escaped."""
    files = {
        "dong1\ndong2.png": _page(tmp_path, "dong1\ndong2.png", "Trần Văn Một"),
        "..\\..\\evil.png": _page(tmp_path, "..\\..\\evil.png", "Trần Văn Hai"),
        "rtl\u202egnp.exe": _page(tmp_path, "rtl\u202egnp.exe", "Trần Văn Ba"),
        NFC: _page(tmp_path, NFC, "Trần Văn Bốn"),
        NFD: _page(tmp_path, NFD, "Trần Văn Năm"),
    }
    broken = tmp_path / "ctl" / "hỏng\x01\x7f.png"
    broken.parent.mkdir()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)  # a PNG signature and nothing else
    code = _code(301)
    outcome = digitize_files(stack_settings, code, [*files.values(), broken])
    shown = {d.source: d for d in outcome.documents}
    assert set(shown) == {"dong1\\ndong2.png", "..\\\\..\\\\evil.png", "rtl\\u202egnp.exe",
                          "kết-quả.png", "hỏng\\x01\\x7f.png"}
    assert len(outcome.documents) == 6  # NFC and NFD: one name, two different files, both kept
    twins = [d for d in outcome.documents if d.source == "kết-quả.png"]
    assert [d.status for d in twins] == ["archived", "archived"] and twins[0].document_id != twins[1].document_id
    good = [d for d in outcome.documents if d.source != "hỏng\\x01\\x7f.png"]
    assert all(d.status == "archived" for d in good), [d.to_json() for d in good]
    for d in good:
        manifest = _archived_json(stack_settings, d.archive_key)
        assert manifest["source"]["name"] == d.source
        assert "\n" not in manifest["source"]["name"] and "\u202e" not in manifest["source"]["name"]
        page = manifest["pages"][0]  # rendered at 150 dpi: below the archive rules' 200
        assert page["dpi"] == 150 and page["low_dpi"] is True and page["dpi_assumed"] is False
        (row,) = _rows(stack_settings, Document, document_id=d.document_id)
        assert row.source_name == d.source
    bad = shown["hỏng\\x01\\x7f.png"]
    assert (bad.status, bad.reason_code) == ("quarantined", "corrupt")
    assert bad.quarantine_key == f"{code}/{bad.document_id}.png"  # built from validated parts only
    client = make_client(stack_settings, "pipeline")
    assert client.get_object(stack_settings.quarantine_bucket, bad.quarantine_key).read() == broken.read_bytes()
    reason = json.loads(client.get_object(stack_settings.quarantine_bucket,
                                          bad.quarantine_key + ".reason.json").read())
    assert reason["name"] == "hỏng\\x01\\x7f.png" and reason["code"] == "corrupt"
    assert list(client.list_objects(stack_settings.intake_bucket, prefix=f"{code}/", recursive=True)) == []
    assert not (stack_settings.work_dir.parent / "evil.png").exists()
    assert exit_code([outcome]) == 2


def test_hostile_names_dropped_straight_into_intake(stack_settings, tmp_path):
    """A desk PC writes keys motcua did not choose: a newline, control characters, NFC and NFD
    twins with different bytes. The run reads them all and archives every good file."""
    code = _code(302)
    drops = {"dòng1\ndòng2.png": "Lê Một", "tab\tctl\x01.png": "Lê Hai", NFC: "Lê Ba", NFD: "Lê Bốn"}
    client = make_client(stack_settings, "intake")
    for name, who in drops.items():
        data = _page(tmp_path, name, who).read_bytes()
        client.put_object(stack_settings.intake_bucket, f"{code}/{name}", io.BytesIO(data), len(data))
    outcome = run_dossier(stack_settings, code)
    assert sorted(d.source for d in outcome.documents) == sorted(
        ["dòng1\\ndòng2.png", "tab\\tctl\\x01.png", "kết-quả.png", "kết-quả.png"])
    assert all(d.status == "archived" for d in outcome.documents), outcome.to_json()
    assert len({d.archive_key for d in outcome.documents}) == 4


def test_a_manifest_that_is_not_json_is_quarantined_and_the_files_go_on(stack_settings, tmp_path):
    code = _code(303)
    client = make_client(stack_settings, "intake")
    data = _page(tmp_path, "don.png", "Phạm Văn Sáu").read_bytes()
    client.put_object(stack_settings.intake_bucket, f"{code}/don.png", io.BytesIO(data), len(data))
    manifest = f'{{\n  "code": "{code}",\n  "applicant": {{"id": "094300001111"}}\n  "channel": "online"\n}}\n'.encode()
    client.put_object(stack_settings.intake_bucket, f"{code}/dossier.json", io.BytesIO(manifest), len(manifest))
    outcome = run_dossier(stack_settings, code)
    assert [d.status for d in outcome.documents] == ["archived"]
    assert outcome.manifest is not None and outcome.manifest.reason_code == "bad_manifest"
    assert "line 4, column 3" in outcome.manifest.reason
    assert outcome.to_json()["manifest"]["quarantine_key"] == f"{code}/dossier.json"
    assert exit_code([outcome]) == 2
    pipeline = make_client(stack_settings, "pipeline")
    assert pipeline.get_object(stack_settings.quarantine_bucket, f"{code}/dossier.json").read() == manifest
    reason = json.loads(pipeline.get_object(stack_settings.quarantine_bucket,
                                            f"{code}/dossier.json.reason.json").read())
    assert reason["code"] == "bad_manifest" and "line 4" in reason["message"] and reason["hint"]
    assert list(pipeline.list_objects(stack_settings.intake_bucket, prefix=f"{code}/", recursive=True)) == []
    (event,) = [e for e in _rows(stack_settings, StepEvent) if e.step == "manifest"
                and "line 4" in (e.error or "")]
    assert event.status == "rejected" and event.document_pk is None


def test_a_manifest_with_wrong_types_names_the_fields(stack_settings, tmp_path):
    code = _code(304)
    client = make_client(stack_settings, "intake")
    data = _page(tmp_path, "don.png", "Phạm Văn Bảy").read_bytes()
    client.put_object(stack_settings.intake_bucket, f"{code}/don.png", io.BytesIO(data), len(data))
    manifest = json.dumps({"code": code, "channel": "fax", "received_at": "hôm qua",
                           "aplicant": {"id": "094300001111"}}).encode()
    client.put_object(stack_settings.intake_bucket, f"{code}/dossier.json", io.BytesIO(manifest), len(manifest))
    outcome = run_dossier(stack_settings, code)
    assert [d.status for d in outcome.documents] == ["archived"]
    reason = outcome.manifest.reason
    assert "channel" in reason and "received_at" in reason and "aplicant" in reason


def test_quarantine_is_an_outcome_not_an_alarm(stack_settings, tmp_path):
    """A bad file: the run ends Completed (not Failed), one WARNING line carries the code,
    message and hint, and nothing is logged at ERROR."""
    code = _code(305)
    bad = tmp_path / "hong.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    good = _page(tmp_path, "don.png", "Võ Thị Tám")
    outcome = digitize_files(stack_settings, code, [good, bad])
    assert sorted(d.status for d in outcome.documents) == ["archived", "quarantined"]
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(stack_settings)}):
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(outcome.flow_run_id)
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[outcome.flow_run_id])))
    assert run.state.type.value == "COMPLETED"
    assert [entry.message for entry in logs if entry.level >= 40] == []
    warnings = [entry.message for entry in logs if entry.level == 30 and "hong.jpg" in entry.message]
    assert len(warnings) == 1 and "corrupt" in warnings[0] and "hint:" in warnings[0]
    assert "Traceback" not in warnings[0]
    (row,) = _rows(stack_settings, Document, document_id=next(d.document_id for d in outcome.documents if d.status == "quarantined"))
    assert [(e.step, e.status) for e in _rows(stack_settings, StepEvent, document_pk=row.id)] == [
        ("receive", "completed"), ("scan", "rejected"), ("quarantine", "completed")]
    assert dt.datetime.now(dt.UTC) >= row.updated_at


# --- digital inputs: born-digital, mixed, with active content, already signed ----------------


def _text_pages(n: int) -> list[list[str]]:
    paragraphs = documents.plan_paragraphs()
    return [paragraphs[i * 6:(i + 1) * 6] for i in range(n)]


def _archived_pdf(settings, archive_key: str) -> bytes:
    return archive.get_bytes(make_client(settings, "auditor"), settings.archive_bucket, archive_key)


def _pdftotext(data: bytes, tmp_path, page: int) -> str:
    path = tmp_path / f"check-{hashlib.sha256(data).hexdigest()[:8]}.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def test_a_born_digital_pdf_is_read_not_ocred_and_archived_as_it_is(stack_settings, tmp_path):
    born = digital.born_digital_pdf(_text_pages(3), tmp_path / "don-truc-tuyen.pdf")
    submitted = born.path.read_bytes()
    outcome = digitize_files(stack_settings, _code(310), [born.path])
    (doc,) = outcome.documents
    assert doc.status == "archived" and doc.pages == 3 and "ocr" not in doc.durations
    data = _archived_pdf(stack_settings, doc.archive_key)
    assert data.startswith(submitted)  # the original pages, untouched; motcua's signature appended
    manifest = _archived_json(stack_settings, doc.archive_key)
    assert manifest["input"]["kind"] == "born_digital" and not manifest["input"]["signed"]
    assert [p["source"] for p in manifest["pages"]] == ["text", "text", "text"]
    text = archive.get_bytes(make_client(stack_settings, "auditor"), stack_settings.archive_bucket,
                             doc.archive_key.removesuffix(".pdf") + ".txt").decode()
    for i in range(3):
        assert _norm(born.page_text(i)) in _norm(text)
    (row,) = _rows(stack_settings, Document, document_id=doc.document_id)
    assert "born_digital" in row.flags.split(",")
    assert "ocr" not in {e.step for e in _rows(stack_settings, StepEvent, document_pk=row.id)}


def test_a_mixed_pdf_gets_a_text_layer_on_its_scanned_page_only(stack_settings, tmp_path):
    scan = render.render_page(documents.certificate("Đỗ Văn Chín", "094300002222", "Cần Thơ", "8",
                                                    dt.date(2015, 3, 18)), dpi=200)
    mixed = digital.mixed_pdf(_text_pages(1)[0], scan, tmp_path / "ho-so.pdf")
    outcome = digitize_files(stack_settings, _code(311), [mixed.path])
    (doc,) = outcome.documents
    assert doc.status == "archived" and doc.pages == 2, doc.to_json()
    data = _archived_pdf(stack_settings, doc.archive_key)
    assert _norm(_pdftotext(data, tmp_path, 1)) == _norm(mixed.page_text(0))
    scanned_page, stamp, _ = _pdftotext(data, tmp_path, 2).partition("Đã ký số")
    assert stamp and character_error_rate(scan.text, scanned_page) <= 0.03  # the stamp is last
    original, archived = PdfReader(mixed.path), PdfReader(io.BytesIO(data))
    assert archived.pages[0]["/Contents"].get_object().get_data() == \
        original.pages[0]["/Contents"].get_object().get_data()
    assert [p.mediabox for p in archived.pages] == [p.mediabox for p in original.pages]
    manifest = _archived_json(stack_settings, doc.archive_key)
    assert manifest["input"]["kind"] == "mixed"
    assert [p["source"] for p in manifest["pages"]] == ["text", "ocr"]


def test_active_content_never_reaches_the_archive(stack_settings, tmp_path):
    born = digital.born_digital_pdf(_text_pages(1), tmp_path / "plain.pdf")
    hostile = digital.with_active_content(born.path, tmp_path / "script.pdf",
                                          ["javascript", "open_action", "embedded_files", "launch"])
    assert inspect_pdf(hostile, SCAN_OPTS).active_content  # the sample does carry it
    outcome = digitize_files(stack_settings, _code(312), [hostile])
    (doc,) = outcome.documents
    assert doc.status == "archived", doc.to_json()
    data = _archived_pdf(stack_settings, doc.archive_key)
    kept = tmp_path / "archived.pdf"
    kept.write_bytes(data)
    assert inspect_pdf(kept, SCAN_OPTS).active_content == ()
    assert b"/JavaScript" not in data and b"/EmbeddedFile" not in data
    manifest = _archived_json(stack_settings, doc.archive_key)
    assert set(manifest["input"]["active_content_removed"]) >= {"javascript", "open_action",
                                                                "embedded_files", "launch"}
    (row,) = _rows(stack_settings, Document, document_id=doc.document_id)
    assert "active_content_removed" in row.flags.split(",")
    assert _norm(born.page_text(0)) in _norm(_pdftotext(data, tmp_path, 1))


def test_a_result_signed_by_another_agency_is_kept_and_its_signature_recorded(
        stack_settings, offline_pki, tmp_path):
    """Signed by a CA the stack does not trust (another agency's): archived byte for byte with
    motcua's signature as an incremental update; the earlier signature stays intact and its
    verdict (intact, untrusted) is recorded in the DB, the archived JSON and the audit."""
    born = digital.born_digital_pdf(_text_pages(2), tmp_path / "ket-qua.pdf")
    submitted = sign_with(born.path.read_bytes(), offline_pki, level="B-B", field_name="Sig-ubnd")
    path = tmp_path / "ket-qua-da-ky.pdf"
    path.write_bytes(submitted)
    code = _code(313)
    outcome = digitize_files(stack_settings, code, [path])
    (doc,) = outcome.documents
    assert doc.status == "archived" and doc.signature_level == "B-LT", doc.to_json()
    data = _archived_pdf(stack_settings, doc.archive_key)
    assert data.startswith(submitted)  # never rewritten
    report = verify_pdf(data, trust_roots=trust_roots(stack_settings), allow_fetching=False)
    earlier, ours = report.signatures
    assert earlier.field_name == "Sig-ubnd" and earlier.intact and earlier.valid
    assert not earlier.trusted and ours.trusted and ours.intact
    (row,) = _rows(stack_settings, Document, document_id=doc.document_id)
    (recorded,) = _rows(stack_settings, SubmittedSignature, document_pk=row.id)
    assert (recorded.field_name, recorded.intact, recorded.trusted) == ("Sig-ubnd", True, False)
    assert recorded.chain_problem and "TEST" in recorded.signer
    manifest = _archived_json(stack_settings, doc.archive_key)
    assert manifest["input"]["signed"] is True
    (arrived,) = manifest["input"]["signatures_at_arrival"]
    assert arrived["field_name"] == "Sig-ubnd" and arrived["trusted"] is False
    audited = audit(stack_settings, code)
    assert audited.ok, audited.to_json()  # motcua's signature decides; the foreign one is a fact
    (shown,) = audited.to_json()["documents"][0]["submitted_signatures"]
    assert shown["intact"] is True and shown["trusted"] is False


def test_a_damaged_signed_pdf_is_archived_as_received_and_flagged(stack_settings, offline_pki, tmp_path):
    born = digital.born_digital_pdf(_text_pages(1), tmp_path / "giay-phep.pdf")
    signed = bytearray(sign_with(born.path.read_bytes(), offline_pki, level="B-B"))
    at = signed.index(b"/PageLayout /OneColumn")  # in the signed revision; harmless to parse
    signed[at + len(b"/PageLayout /OneColum")] = ord("m")
    path = tmp_path / "giay-phep-hong.pdf"
    path.write_bytes(bytes(signed))
    outcome = digitize_files(stack_settings, _code(314), [path])
    (doc,) = outcome.documents
    assert doc.status == "archived", doc.to_json()
    assert _archived_pdf(stack_settings, doc.archive_key).startswith(bytes(signed))
    (row,) = _rows(stack_settings, Document, document_id=doc.document_id)
    assert {"signed", "signature_broken"} <= set(row.flags.split(","))
    (recorded,) = _rows(stack_settings, SubmittedSignature, document_pk=row.id)
    assert recorded.intact is False and recorded.verdict == "invalid"


def test_a_signed_pdf_with_javascript_is_quarantined_for_a_person(stack_settings, offline_pki, tmp_path):
    born = digital.born_digital_pdf(_text_pages(1), tmp_path / "plain.pdf")
    scripted = digital.with_active_content(born.path, tmp_path / "script.pdf", ["javascript"])
    signed = sign_with(scripted.read_bytes(), offline_pki, level="B-B")
    path = tmp_path / "da-ky-co-script.pdf"
    path.write_bytes(signed)
    outcome = digitize_files(stack_settings, _code(315), [path])
    (doc,) = outcome.documents
    assert (doc.status, doc.reason_code) == ("quarantined", "signed_active_content")
    kept = make_client(stack_settings, "pipeline").get_object(stack_settings.quarantine_bucket,
                                                               doc.quarantine_key).read()
    assert kept == signed
