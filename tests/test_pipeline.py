"""The digitize-dossier flow end to end on the real embedded stack: SeaweedFS S3 under object
lock, the Prefect server, the test PKI's TSA, Tesseract, pyHanko, SQLite. Nothing is mocked.

Pages are rendered at 200 dpi (the archive rules' minimum) to keep OCR time down; accuracy at
300 dpi is measured in test_ocr_assemble.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfWriter
from sqlmodel import Session, func, select

from motcua.agencies import agency_on
from motcua.core.quality import character_error_rate
from motcua.flows.launch import digitize_files
from motcua.infra.state import prefect_api_url
from motcua.samples import render
from motcua.samples.documents import application_form, certificate
from motcua.services.audit import audit
from motcua.settings import Settings
from motcua.signing.factory import trust_roots
from motcua.signing.verify import verify_pdf
from motcua.storage import archive, intake
from motcua.storage.db import make_engine
from motcua.storage.models import Document, DocumentIdentifier, ReuseEntry, StepEvent
from motcua.storage.s3 import make_client
from motcua.times import VN_TZ
from tests.fixtures.pki import nss_db_trusting, pdfsig

MOTCUA = str(Path(sys.executable).with_name("motcua"))
CCCD = "094085001234"
NAME = "Nguyễn Văn An"
TODAY = dt.date(2026, 11, 22)


def _code(seq: int) -> str:
    agency = agency_on("stnmt-soctrang", dt.datetime.now(dt.UTC)).code
    return f"000.00.20.{agency}-{dt.datetime.now(dt.UTC):%y%m%d}-{seq:04d}"


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory):
    """A citizen's application form (PNG, signed in blue ink) and the land certificate the
    state already issued (a scanned PDF with a red seal, slightly crooked)."""
    folder = tmp_path_factory.mktemp("dossier")
    form = render.add_signature(
        render.render_page(application_form(NAME, CCCD, "ấp Phú Hữu, xã Long Phú", "761", TODAY), dpi=200),
        at=(0.6, 0.5))
    cert = render.skew(render.add_seal(
        render.render_page(certificate(NAME, CCCD, "ấp Phú Hữu, xã Long Phú", "761", dt.date(2015, 3, 18)), dpi=200),
        center=(0.7, 0.6), text="UBND tỉnh Sóc Trăng"), 1.0)
    files = [render.save_png(form, folder / "don-dang-ky.png"),
             render.save_scanned_pdf([cert], folder / "giay-chung-nhan.pdf")]
    return files, {"don-dang-ky.png": form.text, "giay-chung-nhan.pdf": cert.text}


@pytest.fixture(scope="module")
def digitized(stack_settings: Settings, two_documents):
    files, texts = two_documents
    code = _code(101)
    outcome = digitize_files(stack_settings, code, files, applicant=CCCD, procedure="1.004227")
    return code, outcome, texts


def _rows(settings: Settings, model, **where):
    with Session(make_engine(settings.db_url)) as session:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return list(session.exec(stmt))


def test_two_documents_are_archived_signed_and_searchable(stack_settings, digitized):
    code, outcome, texts = digitized
    assert outcome.ok, outcome.to_json()
    assert [d.status for d in outcome.documents] == ["archived", "archived"]
    client = make_client(stack_settings, "auditor")
    agency = outcome.agency_code
    for d in outcome.documents:
        year = dt.datetime.now(VN_TZ).year  # the year of reception, in Vietnam
        assert d.archive_key == f"{agency}/{year}/{code}/{d.document_id}.pdf"
        assert d.pages == 1
        assert d.signature_level == "B-LT" and d.ocr_confidence > 80
        assert set(d.durations) == {"scan", "ocr", "assemble", "sign", "archive", "index"}

        pdf = archive.get_bytes(client, stack_settings.archive_bucket, d.archive_key)
        assert hashlib.sha256(pdf).hexdigest() == d.sha256
        report = verify_pdf(pdf, trust_roots=trust_roots(stack_settings))
        (sig,) = report.signatures
        assert report.ok and sig.level == "B-LT" and sig.timestamp_time is not None
        # B-LT: the DSS revision follows the signature, and nothing else does
        assert sig.trusted and not sig.modified_after_signing
        assert sig.revocation.status == "good" and sig.revocation.source == "embedded"

        stem = d.archive_key.removesuffix(".pdf")
        txt = archive.get_bytes(client, stack_settings.archive_bucket, stem + ".txt").decode()
        manifest = json.loads(archive.get_bytes(client, stack_settings.archive_bucket, stem + ".json"))
        assert character_error_rate(texts[d.source], txt) <= 0.03
        assert manifest["pdf"]["sha256"] == d.sha256 and manifest["dossier"] == code
        assert manifest["signature"]["level"] == "B-LT"
        assert [s["step"] for s in manifest["steps"]][:5] == ["receive", "scan", "ocr", "assemble", "sign"]
        for key in (d.archive_key, stem + ".txt", stem + ".json"):
            info = archive.stat(client, stack_settings.archive_bucket, key)
            assert info.retention_mode == "COMPLIANCE" and info.sha256
            assert info.retain_until > dt.datetime.now(dt.UTC) + dt.timedelta(days=3000)


def test_text_layer_and_pdfsig(stack_settings, digitized, tmp_path):
    _, outcome, texts = digitized
    client = make_client(stack_settings, "auditor")
    nss = nss_db_trusting(trust_roots(stack_settings)[0], tmp_path / "nss")
    for d in outcome.documents:
        path = tmp_path / f"{d.document_id}.pdf"
        path.write_bytes(archive.get_bytes(client, stack_settings.archive_bucket, d.archive_key))
        layer = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout
        # the OCR layer, then the visible signature stamp (its text is real text too)
        page_text, marker, stamp = layer.partition("Đã ký số")
        assert marker and "Thời gian ký:" in stamp and "+07:00" in stamp
        assert character_error_rate(texts[d.source], page_text) <= 0.03
        poppler = pdfsig(nss, path)
        assert "ETSI.CAdES.detached" in poppler
        # poppler cannot judge the DSS revision that B-LT appends: it only hints at it
        assert "Signature is Valid" in poppler and "Not total document signed" in poppler


def test_step_events_are_recorded_in_utc_with_the_flow_run(stack_settings, digitized):
    _, outcome, _ = digitized
    for d in outcome.documents:
        (doc,) = _rows(stack_settings, Document, document_id=d.document_id)
        events = _rows(stack_settings, StepEvent, document_pk=doc.id)
        steps = [e.step for e in events if e.status == "completed"]
        assert steps == ["receive", "scan", "ocr", "assemble", "sign", "archive", "index"]
        for e in events:
            assert e.started_at.tzinfo is dt.UTC and e.finished_at >= e.started_at
            assert e.flow_run_id == outcome.flow_run_id and e.attempt >= 1
            assert e.task_run_id is None  # every step runs in the flow's own run


def test_identifiers_and_reuse_entries(stack_settings, digitized):
    _, outcome, _ = digitized
    by_source = {d.source: d for d in outcome.documents}
    (cert,) = _rows(stack_settings, Document, document_id=by_source["giay-chung-nhan.pdf"].document_id)
    found = {(i.kind, i.value) for i in _rows(stack_settings, DocumentIdentifier, document_pk=cert.id)}
    assert ("cccd", CCCD) in found and ("date", "2015-03-18") in found
    assert cert.doc_type == "giay_chung_nhan_qsdd"  # classified from the title: no type was given
    entries = _rows(stack_settings, ReuseEntry, subject_id=CCCD)
    assert {e.doc_type for e in entries} >= {"giay_chung_nhan_qsdd", "don_dang_ky_bien_dong"}
    (held,) = [e for e in entries if e.document_pk == cert.id]
    assert held.issued_on == dt.date(2015, 3, 18) and held.valid_to is None  # "lâu dài"
    assert {e.archive_key for e in entries} >= {d.archive_key for d in outcome.documents}


def test_flow_run_is_on_the_prefect_server(stack_settings, digitized):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    code, outcome, _ = digitized
    with temporary_settings(updates={PREFECT_API_URL: prefect_api_url(stack_settings)}):
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(outcome.flow_run_id)
    assert run.name == f"digitize/{code}"
    assert run.state.is_completed() and "procedure:1.004227" in run.tags


def test_running_the_dossier_again_writes_nothing_new(stack_settings, digitized, two_documents):
    code, first, _ = digitized
    files, _ = two_documents
    with Session(make_engine(stack_settings.db_url)) as session:
        documents_before = session.exec(select(func.count()).select_from(Document)).one()
    again = digitize_files(stack_settings, code, files, applicant=CCCD, procedure="1.004227")
    assert [d.already_archived for d in again.documents] == [True, True]
    assert [d.archive_key for d in again.documents] == [d.archive_key for d in first.documents]
    with Session(make_engine(stack_settings.db_url)) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == documents_before
    client = make_client(stack_settings, "pipeline")
    for d in first.documents:
        versions = [o for o in client.list_objects(stack_settings.archive_bucket,
                                                   prefix=d.archive_key.removesuffix(".pdf"),
                                                   include_version=True)]
        assert len(versions) == 3  # .pdf, .txt, .json: one version each


def test_the_same_files_in_another_dossier_are_documents_of_that_dossier(
        stack_settings, digitized, two_documents):
    _, first, _ = digitized
    files, _ = two_documents
    other = digitize_files(stack_settings, _code(103), files, applicant=CCCD)
    assert [d.status for d in other.documents] == ["archived", "archived"]
    assert not any(d.already_archived for d in other.documents)
    assert {d.document_id for d in other.documents}.isdisjoint(d.document_id for d in first.documents)
    assert all(d.archive_key.split("/")[2] == other.dossier for d in other.documents)


def test_level_b_b_is_recorded_and_audited(stack_settings, tmp_path):
    settings = stack_settings.model_copy(update={"signature_level": "B-B"})
    page = render.render_page(application_form("Huỳnh Ngọc Khánh", "094300007777", "Cần Thơ", "9", TODAY), dpi=200)
    code = _code(105)
    outcome = digitize_files(settings, code, [render.save_png(page, tmp_path / "don.png")])
    assert [(d.status, d.signature_level) for d in outcome.documents] == [("archived", "B-B")]
    report = audit(settings, code)
    assert report.ok and {c.name: c.detail for c in report.documents[0].checks}["level"] == \
        "found B-B, recorded B-B"


def _encrypted_pdf(path):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="mật khẩu", owner_password="x")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def test_bad_inputs_are_quarantined_and_the_rest_goes_on(stack_settings, tmp_path):
    from PIL import Image

    good = render.save_png(render.render_page(application_form("Lê Thị Hạnh", "094185009876", "Cần Thơ", "12", TODAY), dpi=200),
                           tmp_path / "don.png")
    corrupt = tmp_path / "hong.png"
    corrupt.write_bytes(good.read_bytes()[:4000])
    empty = tmp_path / "rong.pdf"
    empty.write_bytes(b"")
    word = tmp_path / "van-ban.png"
    word.write_bytes(b"PK\x03\x04 word/document.xml this is a .docx, not a scan")
    bomb = tmp_path / "bom.png"
    Image.new("1", (20_000, 20_000)).save(bomb)
    locked = _encrypted_pdf(tmp_path / "khoa.pdf")
    code = _code(102)
    outcome = digitize_files(stack_settings, code, [good, corrupt, empty, word, bomb, locked])
    status = {d.source: (d.status, d.reason_code) for d in outcome.documents}
    assert status == {
        "don.png": ("archived", None),
        "hong.png": ("quarantined", "corrupt"),
        "rong.pdf": ("quarantined", "empty_file"),
        "van-ban.png": ("quarantined", "unsupported_format"),
        "bom.png": ("quarantined", "over_limits"),
        "khoa.pdf": ("quarantined", "encrypted"),
    }
    client = make_client(stack_settings, "pipeline")
    left = list(client.list_objects(stack_settings.intake_bucket, prefix=f"{code}/", recursive=True))
    assert left == []  # every file reached the archive or the quarantine: intake is clear
    top = [o.object_name for o in client.list_objects(stack_settings.intake_bucket)]
    assert f"{code}/" not in top  # and its folder is gone (SeaweedFS keeps empty ones for minutes)
    for d in outcome.documents:
        if d.status != "quarantined":
            continue
        kept = client.get_object(stack_settings.quarantine_bucket, d.quarantine_key).read()
        original = (tmp_path / d.source).read_bytes()
        assert kept == original  # nothing lost: the very bytes submitted
        reason = json.loads(client.get_object(stack_settings.quarantine_bucket,
                                              d.quarantine_key + ".reason.json").read())
        assert reason["code"] == d.reason_code and reason["message"] and reason["hint"]
        assert reason["dossier"] == code and reason["sha256"] == hashlib.sha256(original).hexdigest()
        (row,) = _rows(stack_settings, Document, document_id=d.document_id)
        steps = [(e.step, e.status) for e in _rows(stack_settings, StepEvent, document_pk=row.id)]
        assert steps[0] == ("receive", "completed") and steps[-1] == ("quarantine", "completed")


def test_a_bad_signing_key_fails_the_run_before_any_document_is_read(stack_settings, tmp_path):
    """The signer is resolved and checked first: a wrong passphrase stops the run in a second,
    before any OCR, with a configuration error; nothing is registered and intake keeps the file."""
    from pydantic import SecretStr

    from motcua.errors import ConfigurationError
    from motcua.storage.models import Dossier

    p12 = tmp_path / "agency.p12"
    p12.write_bytes(b"not a PKCS#12 file")
    settings = stack_settings.model_copy(update={
        "signer_pkcs12": p12, "signer_pkcs12_passphrase": SecretStr("wrong")})
    page = render.render_page(application_form("Lâm Văn Lộc", "094111222444", "Cần Thơ", "3", TODAY), dpi=200)
    code = _code(109)
    with pytest.raises(ConfigurationError, match="cannot open the signer's PKCS#12 file"):
        digitize_files(settings, code, [render.save_png(page, tmp_path / "don.png")])
    assert _rows(stack_settings, Dossier, code=code) == []
    client = make_client(stack_settings, "pipeline")
    assert [o.object_name for o in client.list_objects(stack_settings.intake_bucket, prefix=f"{code}/")] \
        == [f"{code}/don.png", f"{code}/dossier.json"]


def test_tsa_down_leaves_the_document_waiting_never_signed_lower(stack_settings, tmp_path):
    """With the TSA unreachable, signing is retried (1 + 4 + 10 s of backoff), then the document
    waits in `sign_pending`: not quarantined, not archived at B-B, still in intake."""
    from tests.fixtures.pki import free_port

    dead_tsa = stack_settings.model_copy(update={"tsa_url": f"http://127.0.0.1:{free_port()}/tsa"})
    page = render.render_page(application_form("Lâm Văn Lộc", "094111222333", "Cần Thơ", "3", TODAY), dpi=200)
    form = render.save_png(page, tmp_path / "don.png")
    code = _code(104)
    outcome = digitize_files(dead_tsa, code, [form], applicant="094111222333")
    (doc,) = outcome.documents
    assert (doc.status, doc.reason_code) == ("sign_pending", "sign_pending")
    assert doc.archive_key is None and doc.signature_level is None and doc.quarantine_key is None
    (row,) = _rows(stack_settings, Document, document_id=doc.document_id)
    sign_events = [e for e in _rows(stack_settings, StepEvent, document_pk=row.id) if e.step == "sign"]
    assert [e.attempt for e in sign_events] == [1, 2, 3, 4]
    assert {e.status for e in sign_events} == {"failed"}
    client = make_client(stack_settings, "pipeline")
    assert [o.object_name for o in client.list_objects(stack_settings.intake_bucket, prefix=f"{code}/")] \
        == [f"{code}/don.png", f"{code}/dossier.json"]  # kept for the next run
    year = dt.datetime.now(VN_TZ).year
    assert list(client.list_objects(stack_settings.archive_bucket,
                                    prefix=f"{outcome.agency_code}/{year}/{code}/", recursive=True)) == []
    # Once the TSA is back (the stack's own), the same dossier is signed at B-LT (the default with the test PKI) and archived.
    again = digitize_files(stack_settings, code, [form], applicant="094111222333")
    assert [(d.status, d.signature_level) for d in again.documents] == [("archived", "B-LT")]


def test_audit_verify_passes_then_catches_a_tampered_copy(stack_settings, two_documents):
    files, _ = two_documents
    code = _code(106)  # a dossier of its own: this test writes over an archived object
    outcome = digitize_files(stack_settings, code, files, applicant=CCCD)
    report = audit(stack_settings, code)
    assert report.ok, report.to_json()
    assert {c.name for c in report.documents[0].checks} >= {
        "fixity", "version", "retention", "signature", "chain", "level"}

    # Someone with write access puts a doctored copy over the archived one. Object lock keeps
    # the original version; audit must see that the current object is not what was signed.
    target = outcome.documents[1]
    client = make_client(stack_settings, "pipeline")
    original = archive.get_bytes(client, stack_settings.archive_bucket, target.archive_key)
    tampered = bytearray(original)
    tampered[len(tampered) // 3] ^= 0x01
    client.put_object(stack_settings.archive_bucket, target.archive_key, io.BytesIO(bytes(tampered)),
                      len(tampered), metadata={"sha256": target.sha256})
    report = audit(stack_settings, code)
    assert not report.ok
    checks = {d.archive_key: {c.name: c.ok for c in d.checks} for d in report.documents}
    assert all(checks[outcome.documents[0].archive_key].values())  # the other one is fine
    bad = checks[target.archive_key]
    assert bad["fixity"] is False and bad["version"] is False and bad["signature"] is False
    assert bad["retention"] is True  # the doctored copy inherits the bucket's lock

    cli = subprocess.run(
        [MOTCUA, "--data-dir", str(stack_settings.data_dir), "audit", "verify", code, "--json"],
        capture_output=True, text=True)
    assert cli.returncode == 1, cli.stderr
    assert json.loads(cli.stdout)["ok"] is False


def test_duplicates_and_decomposed_names_in_one_dossier(stack_settings, tmp_path):
    """Two files with the same bytes are one document; a file name in NFD (as macOS writes
    it) still finds its manifest entry, written in NFC."""
    from motcua.flows.launch import run_dossier
    from motcua.manifest import DossierManifest
    from motcua.samples.documents import decision
    from motcua.storage import intake

    form = render.save_png(render.render_page(
        application_form("Đặng Thị Hương", "094222333444", "Cần Thơ", "5", TODAY), dpi=200), tmp_path / "don.png")
    copy = tmp_path / "don (1).png"
    copy.write_bytes(form.read_bytes())
    nfd_name = unicodedata.normalize("NFD", "kết-quả.png")
    result = render.save_png(render.render_page(
        decision("7/QĐ-SNNMT", "Đặng Thị Hương", "094222333444", "5", TODAY), dpi=200), tmp_path / nfd_name)
    code = _code(107)
    manifest = DossierManifest.model_validate({
        "code": code, "applicant": {"id": "094222333444"},
        "received_at": "2026-11-22T09:00:00",  # no offset: Vietnamese time
        "documents": [{"file": "kết-quả.png", "kind": "result", "type": "quyet_dinh"}]})
    intake.upload_dossier(make_client(stack_settings, "intake"), stack_settings.intake_bucket,
                          code, [(form.name, form), (copy.name, copy), (nfd_name, result)], manifest)
    outcome = run_dossier(stack_settings, code)
    by_source = {d.source: d for d in outcome.documents}
    assert set(by_source) == {"don.png", "don (1).png", "kết-quả.png"}
    assert all(d.status == "archived" for d in outcome.documents)
    # Files are taken in name order: "don (1).png" sorts first and is the one processed.
    assert by_source["don.png"].duplicate_of == "don (1).png"
    assert by_source["don (1).png"].duplicate_of is None
    assert by_source["don.png"].archive_key == by_source["don (1).png"].archive_key
    assert len(_rows(stack_settings, Document, archive_key=by_source["don.png"].archive_key)) == 1
    (decided,) = _rows(stack_settings, Document, document_id=by_source["kết-quả.png"].document_id)
    assert (decided.kind, decided.doc_type) == ("result", "quyet_dinh")


def test_an_archived_document_left_unindexed_is_indexed_on_the_next_run(stack_settings, two_documents):
    from motcua.storage import repository

    files, _ = two_documents
    code = _code(108)
    first = digitize_files(stack_settings, code, files[:1], applicant=CCCD)
    (doc,) = first.documents
    with Session(make_engine(stack_settings.db_url)) as session:  # as if index never ran
        row = session.exec(select(Document).where(Document.document_id == doc.document_id)).one()
        repository.forget_index(session, document_pk=row.id)
        session.commit()
        pk = row.id
    again = digitize_files(stack_settings, code, files[:1], applicant=CCCD)
    assert again.documents[0].already_archived
    (row,) = _rows(stack_settings, Document, id=pk)
    assert row.indexed_at is not None
    assert ("cccd", CCCD) in {(i.kind, i.value) for i in _rows(stack_settings, DocumentIdentifier, document_pk=pk)}


def test_removing_a_dossier_folder_never_removes_what_is_in_it(stack_settings):
    """The folder of a processed dossier is removed at the end of its run; a file dropped into
    it meanwhile keeps it (and itself) alive, to be taken by the next round."""
    code = _code(121)
    client = make_client(stack_settings, "pipeline")
    client.put_object(stack_settings.intake_bucket, f"{code}/late.png", io.BytesIO(b"x"), 1)
    intake.remove_folder(client, stack_settings.intake_bucket, code)
    assert [o.object_name for o in client.list_objects(stack_settings.intake_bucket, prefix=f"{code}/")] \
        == [f"{code}/late.png"]
    intake.remove(client, stack_settings.intake_bucket, [f"{code}/late.png"])
    intake.remove_folder(client, stack_settings.intake_bucket, code)
    assert f"{code}/" not in [o.object_name for o in client.list_objects(stack_settings.intake_bucket)]
