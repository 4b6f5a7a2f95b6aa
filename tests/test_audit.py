"""Verification for auditors: every PAdES level, and every failure an auditor must catch.

Real parts only: signatures made with pyHanko's own API (every level, and the test PKI's revoked
and expired signers, which motcua's signer would never use), the test PKI's TSA/OCSP/CRL over
HTTP (``pki_service``), certomancer's services in-process for evidence "as of an hour ago"
(``PkiAtTime``), poppler's ``pdfsig`` as a second opinion, and for ``motcua audit verify`` the
session stack (real SeaweedFS under object lock, the real database, the stack's PKI server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from sqlmodel import Session

from motcua.errors import ConfigurationError
from motcua.services.audit import audit
from motcua.settings import Settings
from motcua.signing.pki import TestPki, load_test_pki
from motcua.signing.pki_config import EXPIRED_SIGNER, REVOKED_SIGNER, TEST_ORGANIZATION
from motcua.signing.report import VerificationReport
from motcua.signing.verify import verify_pdf
from motcua.storage import archive
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Document, Dossier
from motcua.storage.s3 import make_client
from tests.fixtures.pki import (
    in_process,
    nss_db_trusting,
    pdf_bytes,
    pdfsig,
    sign_with,
    with_document_timestamp,
    with_dss,
)

MOTCUA = str(Path(sys.executable).with_name("motcua"))
LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def verify(data: bytes, *roots: TestPki) -> VerificationReport:
    return verify_pdf(data, trust_roots=[pki.root_cert for pki in roots])


def flip_signed_byte(data: bytes) -> bytes:
    """One bit changed inside the first signed byte range (in the /Producer string)."""
    first_range_end = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data).group(1))
    at = data.index(b"(pypdf)") + 2
    assert at < first_range_end
    tampered = bytearray(data)
    tampered[at] ^= 0x01
    return bytes(tampered)


def paint_page_red(data: bytes) -> bytes:
    """An incremental update after signing that replaces page 1's content."""
    writer = IncrementalPdfFileWriter(BytesIO(data))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 0 0 595 842 re f")
    )
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def backdated(pki: TestPki, *, label: str, ago: dt.timedelta, level: str) -> bytes:
    """A B-T/B-LT/B-LTA file as if signed ``ago``: timestamp, OCSP and CRL of that time.

    Its embedded OCSP response (valid 10 minutes) has expired long before now when ``ago`` is
    an hour: the case an archive meets every day, years after signing.
    """
    at = in_process(pki)
    then = (dt.datetime.now(dt.UTC) - ago).replace(microsecond=0)
    data = sign_with(pdf_bytes(), pki, label=label, level="B-T", timestamper=at.timestamper(then))
    if level == "B-T":
        return data
    data = with_dss(
        data,
        certs=[at.cert(label), at.cert("interm")],
        ocsps=[at.ocsp(label, then)],
        crls=[at.crl("root", then)],
    )
    if level == "B-LT":
        return data
    return with_document_timestamp(data, at.timestamper(then + dt.timedelta(minutes=1)))


@pytest.fixture(scope="module")
def signed(test_pki: TestPki, pki_service) -> dict[str, bytes]:
    """One file per level, signed now by the agency signer through the live services."""
    return {level: sign_with(pdf_bytes(), test_pki, level=level) for level in LEVELS}


@pytest.fixture(scope="module")
def nss_dir(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return nss_db_trusting(test_pki.root_cert, tmp_path_factory.mktemp("nssdb-audit"))


def poppler(nss_dir: Path, data: bytes, folder: Path, name: str) -> str:
    path = folder / name
    path.write_bytes(data)
    return pdfsig(nss_dir, path)


# --- the test PKI's revoked and expired signers ---------------------------------------------------


def test_revoked_and_expired_signers_are_test_certificates(test_pki: TestPki) -> None:
    signer = load_cert(test_pki.signer_cert)
    interm = load_cert(test_pki.intermediate_cert)
    now = dt.datetime.now(dt.UTC)
    for path in (test_pki.revoked_signer_cert, test_pki.expired_signer_cert):
        cert = load_cert(path)
        cert.verify_directly_issued_by(interm)
        org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert org == TEST_ORGANIZATION and common_name.endswith("(TEST)")
        for ext in (x509.KeyUsage, x509.ExtendedKeyUsage):  # only the dates or revocation differ
            assert cert.extensions.get_extension_for_class(ext) == (
                signer.extensions.get_extension_for_class(ext)
            )
        assert (
            ExtendedKeyUsageOID.EMAIL_PROTECTION
            in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        )
        assert cert.not_valid_before_utc < now
    assert load_cert(test_pki.expired_signer_cert).not_valid_after_utc < now
    assert load_cert(test_pki.revoked_signer_cert).not_valid_after_utc > now


def test_the_revoked_signer_is_revoked_by_crl_and_ocsp(test_pki: TestPki, pki_service) -> None:
    revoked = load_cert(test_pki.revoked_signer_cert)
    interm = load_cert(test_pki.intermediate_cert)
    with urllib.request.urlopen(pki_service.crl, timeout=10) as resp:
        crl = x509.load_der_x509_crl(resp.read())
    entry = crl.get_revoked_certificate_by_serial_number(revoked.serial_number)
    assert entry is not None
    assert (
        crl.get_revoked_certificate_by_serial_number(load_cert(test_pki.signer_cert).serial_number)
        is None
    )
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    assert revoked.not_valid_before_utc < entry.revocation_date_utc < crl.last_update_utc

    request = ocsp.OCSPRequestBuilder().add_certificate(revoked, interm, hashes.SHA1()).build()
    http = urllib.request.Request(
        pki_service.ocsp,
        data=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    with urllib.request.urlopen(http, timeout=10) as resp:
        answer = ocsp.load_der_ocsp_response(resp.read())
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_time_utc == entry.revocation_date_utc
    assert answer.revocation_reason == x509.ReasonFlags.key_compromise


def test_a_pki_of_the_old_format_is_refused_clearly(test_pki: TestPki, tmp_path: Path) -> None:
    old = tmp_path / "pki"
    old.mkdir()
    manifest = json.loads(test_pki.manifest_file.read_text())
    (old / "manifest.json").write_text(json.dumps({**manifest, "format": 1}))
    with pytest.raises(ConfigurationError, match="older motcua .*format 1") as caught:
        load_test_pki(old)
    assert "remove the folder" in caught.value.hint


# --- valid signatures, level by level -------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_a_valid_signature_at_every_level(level: str, signed, test_pki: TestPki) -> None:
    report = verify(signed[level], test_pki)
    assert report.verdict == "valid" and report.ok, report.problems
    (sig,) = report.signatures
    assert sig.level == level and sig.trusted and sig.chain_problem is None
    assert sig.signer_subject == load_cert(test_pki.signer_cert).subject.rfc4514_string()
    assert sig.revocation.status == "good"
    assert sig.modified_after_signing is False and sig.docmdp_ok is True
    if level in ("B-B", "B-T"):  # nothing embedded: fetched now, judged now
        assert sig.revocation.source == "fetched"
        assert (sig.revocation.embedded_ocsp, sig.revocation.embedded_crl) == (0, 0)
        assert sig.revocation.fetched_ocsp >= 1
        assert sig.covers_entire_file and sig.coverage == "entire_file"
        assert sig.validation_time > sig.signing_time
    else:  # embedded evidence only, judged as of the signature timestamp
        assert sig.revocation.source == "embedded"
        assert (sig.revocation.fetched_ocsp, sig.revocation.fetched_crl) == (0, 0)
        assert sig.revocation.embedded_ocsp >= 1
        assert sig.validation_time == sig.timestamp_time
        assert sig.coverage == "entire_revision" and sig.modification_level == "LTA_UPDATES"
    assert (sig.timestamp_time is None) == (level == "B-B")
    assert sig.timestamp_trusted is (None if level == "B-B" else True)
    assert len(sig.archive_timestamps) == (1 if level == "B-LTA" else 0)


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_signatures_outlive_their_embedded_ocsp(level: str, test_pki: TestPki) -> None:
    data = backdated(test_pki, label="signer", ago=dt.timedelta(hours=1), level=level)

    report = verify(data, test_pki)
    assert report.ok, report.problems
    (sig,) = report.signatures
    assert sig.level == level and sig.revocation.source == "embedded"
    assert sig.timestamp_time < dt.datetime.now(dt.UTC) - dt.timedelta(minutes=50)
    assert sig.validation_time == sig.timestamp_time

    # Why the check is made as of the timestamp: the embedded OCSP response expired 50 minutes
    # ago, so the same evidence judged "now" (pyHanko with a DSS-seeded context) fails.
    reader = PdfFileReader(BytesIO(data))
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {
            "trust_roots": [load_cert_from_pemder(str(test_pki.root_cert))],
            "revocation_mode": "require",
        }
    )
    now_status = asyncio.run(
        async_validate_pdf_signature(
            reader.embedded_signatures[0], signer_validation_context=context
        )
    )
    assert now_status.intact and now_status.valid and not now_status.trusted


def test_b_lt_needs_no_network_where_b_t_is_indeterminate(offline_pki: TestPki) -> None:
    """The offline PKI's OCSP/CRL never answer: B-T cannot be decided, B-LT can."""
    ago = dt.timedelta(seconds=5)
    b_t = backdated(offline_pki, label="signer", ago=ago, level="B-T")
    report = verify(b_t, offline_pki)
    assert report.verdict == "indeterminate" and not report.ok
    sig = report.last
    assert sig.intact and sig.valid and not sig.trusted
    assert sig.chain_problem.code == "revocation_unavailable"
    assert {p.code for p in sig.problems} == {"revocation_unavailable"}
    assert sig.revocation.status == "unknown" and sig.revocation.source == "none"
    assert "try again later" in sig.chain_problem.message

    b_lt = backdated(offline_pki, label="signer", ago=ago, level="B-LT")
    assert verify(b_lt, offline_pki).ok

    offline = verify_pdf(b_t, trust_roots=[offline_pki.root_cert], allow_fetching=False)
    assert offline.verdict == "indeterminate"
    assert "fetching OCSP/CRL was turned off" in offline.last.chain_problem.message


def test_b_lt_with_incomplete_evidence_fails_and_nothing_is_fetched(
    test_pki: TestPki, pki_service
) -> None:
    """The DSS holds the signer's OCSP response but no CRL for the intermediate CA: the file
    does not prove what B-LT promises, even though the services would answer."""
    at = in_process(test_pki)
    then = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).replace(microsecond=0)
    b_t = sign_with(pdf_bytes(), test_pki, level="B-T", timestamper=at.timestamper(then))
    data = with_dss(b_t, ocsps=[at.ocsp("signer", then)])

    report = verify(data, test_pki)
    assert report.verdict == "invalid"
    (sig,) = report.signatures
    assert sig.level == "B-LT" and sig.intact and sig.valid and not sig.trusted
    assert sig.chain_problem.code == "revocation_unknown"
    assert sig.revocation.status == "unknown" and sig.revocation.source == "embedded"
    assert (sig.revocation.fetched_ocsp, sig.revocation.fetched_crl) == (0, 0)
    assert "embedded in the file does not establish" in sig.chain_problem.message


# --- what an auditor must catch -------------------------------------------------------------------


@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_a_flipped_byte(
    level: str, signed, test_pki: TestPki, nss_dir: Path, tmp_path: Path
) -> None:
    tampered = flip_signed_byte(signed[level])
    report = verify(tampered, test_pki)
    assert report.verdict == "invalid"
    (sig,) = report.signatures
    assert sig.intact is False and sig.trusted is False
    assert [p.code for p in sig.problems] == ["digest_mismatch"]
    assert sig.revocation.status == "not checked"

    assert "Signature is Valid" in poppler(nss_dir, signed[level], tmp_path, "good.pdf")
    theirs = poppler(nss_dir, tampered, tmp_path, "bad.pdf")
    assert "Signature is Valid" not in theirs, theirs
    assert "Digest Mismatch" in theirs or "Signature is Invalid" in theirs, theirs


@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_an_update_appended_after_signing(
    level: str, signed, test_pki: TestPki, nss_dir: Path, tmp_path: Path
) -> None:
    painted = paint_page_red(signed[level])
    report = verify(painted, test_pki)
    assert report.verdict == "invalid"
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.trusted  # the signed revision itself is fine ...
    assert sig.modified_after_signing and not sig.covers_entire_file  # ... what follows is not
    assert sig.modification_level not in ("NONE", "LTA_UPDATES")
    assert [p.code for p in sig.problems] == ["modified_after_signing"]
    theirs = poppler(nss_dir, painted, tmp_path, "painted.pdf")
    assert "Not total document signed" in theirs  # poppler only hints at it (platform-notes)


def test_a_signer_from_an_untrusted_root(offline_pki: TestPki, test_pki: TestPki) -> None:
    data = sign_with(pdf_bytes(), offline_pki, level="B-B")
    report = verify(data, test_pki)
    (sig,) = report.signatures
    assert report.verdict == "invalid" and sig.intact and sig.valid and not sig.trusted
    assert sig.chain_problem.code == "untrusted"
    assert "does not chain to a trust root" in sig.chain_problem.message
    assert sig.revocation.status == "not checked"


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_a_revoked_signer(level: str, test_pki: TestPki, pki_service) -> None:
    if level == "B-T":  # live: the OCSP answer is fetched now
        data = sign_with(pdf_bytes(), test_pki, label=REVOKED_SIGNER, level="B-T")
    else:  # pyHanko refuses to make B-LT for a revoked signer: the evidence is added as of then
        data = backdated(test_pki, label=REVOKED_SIGNER, ago=dt.timedelta(minutes=2), level=level)
    report = verify(data, test_pki)
    assert report.verdict == "invalid"
    (sig,) = report.signatures
    assert sig.level == level and sig.intact and sig.valid and not sig.trusted
    assert sig.chain_problem.code == "revoked" and [p.code for p in sig.problems] == ["revoked"]
    issued = load_cert(test_pki.revoked_signer_cert).not_valid_before_utc
    assert sig.revocation.status == "revoked" and sig.revocation.reason == "key_compromise"
    assert issued < sig.revocation.revoked_at < sig.timestamp_time
    assert "before the signature timestamp" in sig.chain_problem.message
    assert sig.revocation.source == ("fetched" if level == "B-T" else "embedded")


def test_an_expired_signer(test_pki: TestPki, pki_service, nss_dir: Path, tmp_path: Path) -> None:
    data = sign_with(pdf_bytes(), test_pki, label=EXPIRED_SIGNER, level="B-T")
    report = verify(data, test_pki)
    (sig,) = report.signatures
    assert report.verdict == "invalid" and sig.intact and sig.valid and not sig.trusted
    assert sig.chain_problem.code == "expired" and "expired on" in sig.chain_problem.message
    assert sig.revocation.status == "not checked"
    assert "Certificate has Expired" in poppler(nss_dir, data, tmp_path, "expired.pdf")


def test_signed_at_b_lt_while_valid_survives_expiry_where_b_t_does_not(test_pki: TestPki) -> None:
    """The expired signer was still valid 8 days ago. Signed then, B-LT carries the evidence
    that it was good and is judged as of its timestamp; B-T is judged now, and has expired."""
    b_lt = backdated(test_pki, label=EXPIRED_SIGNER, ago=dt.timedelta(days=8), level="B-LT")
    lt = verify(b_lt, test_pki)
    assert lt.ok, lt.problems
    assert lt.last.validation_time < load_cert(test_pki.expired_signer_cert).not_valid_after_utc

    b_t = backdated(test_pki, label=EXPIRED_SIGNER, ago=dt.timedelta(days=8), level="B-T")
    assert verify(b_t, test_pki).last.chain_problem.code == "expired"


def test_the_last_signature_decides(offline_pki: TestPki, test_pki: TestPki, pki_service) -> None:
    """A submitted PDF already signed by someone motcua does not trust, then signed by motcua."""
    citizen = sign_with(pdf_bytes(), offline_pki, level="B-B", field_name="citizen")
    ours = sign_with(citizen, test_pki, level="B-T", field_name="motcua_signature_1")

    report = verify(ours, test_pki)
    assert report.ok, report.problems
    earlier, last = report.signatures
    assert (earlier.field_name, last.field_name) == ("citizen", "motcua_signature_1")
    assert earlier.verdict == "invalid" and earlier.chain_problem.code == "untrusted"
    assert earlier.modification_level == "FORM_FILLING" and earlier.docmdp_ok
    assert last.verdict == "valid" and last.covers_entire_file
    assert any(p.startswith("citizen: ") for p in report.problems)  # reported, not judged

    ours_first = sign_with(pdf_bytes(), test_pki, level="B-T", field_name="motcua_signature_1")
    stranger_last = sign_with(ours_first, offline_pki, level="B-B", field_name="stranger")
    report = verify(stranger_last, test_pki)
    assert report.verdict == "invalid" and report.signatures[0].verdict == "valid"


# --- motcua audit verify, end to end --------------------------------------------------------------


def _dossier_code(seq: int) -> str:
    return f"000.00.20.H13-{dt.datetime.now(dt.UTC):%y%m%d}-{seq:04d}"


def _archive(settings: Settings, code: str, documents: list[tuple[str, bytes, str]]) -> list[str]:
    """Put signed PDFs under object lock and record them as `archived`, as the pipeline does."""
    client = make_client(settings, "pipeline")
    retain_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.archive_retention_days)
    migrate(settings.db_url)
    keys = []
    with Session(make_engine(settings.db_url)) as session:
        now = dt.datetime.now(dt.UTC)
        dossier = Dossier(
            code=code, agency_code="H13", agency_name="TEST", received_at=now, registered_at=now
        )
        session.add(dossier)
        session.flush()
        for name, data, level in documents:
            digest = hashlib.sha256(data).hexdigest()
            document_id = hashlib.sha256(f"{code}\n{digest}".encode()).hexdigest()[:20]
            key = f"H13/{now.year}/{code}/{document_id}.pdf"
            stored = archive.put_locked(
                client,
                settings.archive_bucket,
                key,
                data,
                content_type="application/pdf",
                retain_until=retain_until,
            )
            session.add(
                Document(
                    dossier_id=dossier.id,
                    document_id=document_id,
                    source_name=name,
                    source_sha256=digest,
                    source_bytes=len(data),
                    status="archived",
                    signature_level=level,
                    archive_key=key,
                    archive_version_id=stored.version_id,
                    sha256=digest,
                    size_bytes=len(data),
                    retain_until=retain_until,
                    signed_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            keys.append(key)
        session.commit()
    return keys


@pytest.fixture(scope="module")
def archived(stack_settings: Settings, offline_pki: TestPki) -> dict[str, object]:
    stack_pki = load_test_pki(stack_settings.pki_dir)
    citizen = sign_with(pdf_bytes(), offline_pki, level="B-B", field_name="citizen")
    mixed = _dossier_code(901)
    keys = _archive(
        stack_settings,
        mixed,
        [
            ("da-ky.pdf", sign_with(citizen, stack_pki, level="B-LT"), "B-LT"),
            (
                "thu-hoi.pdf",
                sign_with(pdf_bytes(), stack_pki, label=REVOKED_SIGNER, level="B-T"),
                "B-T",
            ),
        ],
    )
    clean = _dossier_code(902)
    _archive(
        stack_settings, clean, [("don.pdf", sign_with(pdf_bytes(), stack_pki, level="B-T"), "B-T")]
    )
    undecided = _dossier_code(903)
    _archive(
        stack_settings,
        undecided,
        [("ngoai.pdf", sign_with(pdf_bytes(), offline_pki, level="B-B"), "B-B")],
    )
    return {
        "mixed": mixed,
        "keys": keys,
        "clean": clean,
        "undecided": undecided,
        "roots": [stack_pki.root_cert, offline_pki.root_cert],
    }


def test_audit_judges_the_last_signature_and_reports_every_one(stack_settings, archived) -> None:
    report = audit(stack_settings, archived["keys"][0])
    assert report.status == "ok" and report.exit_code == 0, report.to_json()
    (doc,) = report.documents
    assert [c.name for c in doc.checks] == [
        "fixity",
        "version",
        "retention",
        "signature",
        "chain",
        "level",
    ]
    assert all(c.status == "ok" for c in doc.checks)
    assert (
        "1 earlier signature(s) reported, not judged"
        in next(c for c in doc.checks if c.name == "signature").detail
    )

    (citizen, ours) = doc.to_json()["signatures"]
    assert (citizen["judged"], ours["judged"]) == (False, True)
    assert citizen["verdict"] == "invalid" and citizen["chain"]["problem"] == "untrusted"
    assert ours["level"] == "B-LT" and ours["verdict"] == "valid"
    assert ours["revocation"]["status"] == "good" and ours["revocation"]["source"] == "embedded"
    assert ours["chain"]["validation_time"] == ours["timestamp_time"]
    assert ours["coverage"]["modification_level"] == "LTA_UPDATES"


def test_audit_of_a_revoked_signer_fails_the_chain_only(stack_settings, archived) -> None:
    report = audit(stack_settings, archived["keys"][1])
    (doc,) = report.documents
    status = {c.name: c.status for c in doc.checks}
    assert status == {
        "fixity": "ok",
        "version": "ok",
        "retention": "ok",
        "signature": "ok",
        "chain": "failed",
        "level": "ok",
    }
    assert "revoked since" in next(c for c in doc.checks if c.name == "chain").detail
    assert report.status == "failed" and report.exit_code == 1
    (sig,) = doc.to_json()["signatures"]
    assert sig["revocation"]["status"] == "revoked" and sig["revocation"]["source"] == "fetched"


def _cli(
    settings: Settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MOTCUA, "--data-dir", str(settings.data_dir), "audit", "verify", *args],
        check=False,  # the exit code is what is tested
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_audit_cli_exit_codes(stack_settings, archived) -> None:
    clean = _cli(stack_settings, archived["clean"], "--json")
    assert clean.returncode == 0, clean.stderr
    payload = json.loads(clean.stdout)
    assert (payload["status"], payload["exit_code"], payload["ok"]) == ("ok", 0, True)
    (sig,) = payload["documents"][0]["signatures"]
    assert sig["revocation"]["source"] == "fetched" and sig["level"] == "B-T"

    mixed = _cli(stack_settings, archived["mixed"])  # the human table, too
    assert mixed.returncode == 1, mixed.stderr
    assert "some checks failed" in mixed.stdout and "revoked" in mixed.stdout
    assert "Traceback" not in mixed.stderr  # pyHanko's own warnings are kept quiet

    roots = json.dumps([str(p) for p in archived["roots"]])
    undecided = _cli(
        stack_settings, archived["undecided"], "--json", env={"MOTCUA_TRUST_ROOTS": roots}
    )
    assert undecided.returncode == 4, undecided.stdout + undecided.stderr
    payload = json.loads(undecided.stdout)
    assert payload["status"] == "indeterminate"
    chain = next(c for c in payload["documents"][0]["checks"] if c["name"] == "chain")
    assert chain["status"] == "indeterminate" and "try again later" in chain["detail"]

    unknown = _cli(stack_settings, _dossier_code(999), "--json")
    assert unknown.returncode == 3
    assert json.loads(unknown.stdout)["error"]["code"] == "configuration"


def test_audit_catches_a_copy_written_over_the_archived_one(stack_settings, archived) -> None:
    key = archived["keys"][0]
    client = make_client(stack_settings, "pipeline")
    original = archive.get_bytes(client, stack_settings.archive_bucket, key)
    painted = paint_page_red(original)  # signed revision kept, page 1 painted after signing
    client.put_object(
        stack_settings.archive_bucket,
        key,
        io.BytesIO(painted),
        len(painted),
        metadata={"sha256": hashlib.sha256(original).hexdigest()},
    )
    report = audit(stack_settings, key)
    status = {c.name: c.status for c in report.documents[0].checks}
    assert status["fixity"] == "failed" and status["version"] == "failed"
    assert status["signature"] == "failed" and status["chain"] == "ok"
    assert (
        "modified after signing"
        in next(c for c in report.documents[0].checks if c.name == "signature").detail
    )
