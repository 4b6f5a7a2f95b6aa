"""Signing library and test PKI, end to end with real parts.

Real certomancer PKI on disk, real TSA/OCSP/CRL over HTTP (``pki_service``), real pyHanko, and
poppler's ``pdfsig`` with an NSS trust store as a second, independent opinion.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import stat
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfWriter

from motcua.errors import ConfigurationError, CorruptInput, EncryptedInput, SignPending
from motcua.signing.agency import AgencySigner
from motcua.signing.pades import SignResult, sign_pdf
from motcua.signing.pki import (
    ServiceUrls,
    TestPki,
    ensure_test_pki,
    load_test_pki,
    service_urls,
)
from motcua.signing.pki_config import DEFAULT_AGENCY_NAME, KEY_LABELS, TEST_ORGANIZATION
from motcua.signing.verify import verify_pdf
from tests.fixtures.pki import HOST, free_port, nss_db_trusting, pdfsig, running_pki_server

OTHER_AGENCY = "Sở Tư pháp tỉnh Cà Mau (TEST)"


# --- helpers and local fixtures -------------------------------------------------------------------


def make_pdf(path: Path, pages: int = 1) -> Path:
    """A small PDF written by pypdf (not Pillow: pyHanko refuses Pillow's xref)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Hồ sơ thử nghiệm"})
    with path.open("wb") as out:
        writer.write(out)
    return path


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def signer_for(pki: TestPki, tsa_url: str | None) -> AgencySigner:
    return AgencySigner.from_pkcs12(
        pki.signer_pkcs12, pki.read_signer_passphrase(), tsa_url=tsa_url
    )


@pytest.fixture(scope="session")
def signer_bt(test_pki: TestPki, pki_service: ServiceUrls) -> AgencySigner:
    return signer_for(test_pki, pki_service.tsa)


@pytest.fixture(scope="session")
def signer_bb(test_pki: TestPki) -> AgencySigner:
    return signer_for(test_pki, None)


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A second, independent test PKI: its root is *not* the one the tests trust."""
    return ensure_test_pki(tmp_path_factory.mktemp("other-pki") / "pki", agency_name=OTHER_AGENCY)


@pytest.fixture(scope="session")
def nss_dir(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An NSS database trusting the test root, for ``pdfsig -nssdir``."""
    return nss_db_trusting(test_pki.root_cert, tmp_path_factory.mktemp("nssdb"))


@pytest.fixture(scope="module")
def signed_bt(tmp_path_factory: pytest.TempPathFactory, signer_bt: AgencySigner) -> SignResult:
    work = tmp_path_factory.mktemp("signed-bt")
    return sign_pdf(
        make_pdf(work / "in.pdf", pages=2),
        work / "signed-bt.pdf",
        signer_bt,
        level="B-T",
        reason="Số hóa hồ sơ",
        location="Sóc Trăng",
    )


# --- the test PKI ---------------------------------------------------------------------------------


def test_ensure_test_pki_is_idempotent(test_pki: TestPki) -> None:
    files = sorted(p for p in test_pki.pki_dir.rglob("*") if p.is_file())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}

    again = ensure_test_pki(test_pki.pki_dir)

    assert again == test_pki
    assert sorted(p for p in test_pki.pki_dir.rglob("*") if p.is_file()) == files
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before
    assert load_cert(again.root_cert) == load_cert(test_pki.root_cert)


def test_concurrent_first_calls_share_one_pki(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda _: ensure_test_pki(tmp_path / "pki"), range(2))
    assert first == second
    assert load_cert(first.root_cert) == load_cert(second.root_cert)
    key, cert, _ = pkcs12.load_key_and_certificates(
        first.signer_pkcs12.read_bytes(), first.read_signer_passphrase()
    )
    # p12, passphrase, key and exported certificates all come from one generation
    assert cert == load_cert(first.signer_cert)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.public_key() == cert.public_key()
    assert [p.name for p in tmp_path.iterdir()] == ["pki"]  # no staging folder left behind


def test_existing_pki_refuses_another_services_url(test_pki: TestPki) -> None:
    with pytest.raises(ConfigurationError, match="serves its TSA/OCSP/CRL at"):
        ensure_test_pki(test_pki.pki_dir, services_base_url="http://127.0.0.1:1")


def test_a_folder_with_foreign_files_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a PKI")
    with pytest.raises(ConfigurationError, match="holds no complete test PKI"):
        ensure_test_pki(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(ConfigurationError, match="no test PKI"):
        load_test_pki(tmp_path)


def test_every_subject_says_test(test_pki: TestPki) -> None:
    for label in KEY_LABELS:
        subject = load_cert(test_pki.cert_file(label)).subject
        org = str(subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)
        common_name = str(subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        assert org == TEST_ORGANIZATION and "TEST PKI" in org, label
        assert common_name.endswith("(TEST)"), (label, common_name)
    signer_cn = load_cert(test_pki.signer_cert).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert signer_cn[0].value == DEFAULT_AGENCY_NAME


def test_chain_and_key_usages(test_pki: TestPki) -> None:
    root, interm = load_cert(test_pki.root_cert), load_cert(test_pki.intermediate_cert)
    signer, tsa = load_cert(test_pki.signer_cert), load_cert(test_pki.tsa_cert)
    signer.verify_directly_issued_by(interm)
    interm.verify_directly_issued_by(root)
    tsa.verify_directly_issued_by(root)

    key_usage = signer.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.digital_signature and key_usage.value.content_commitment
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku  # pdfsig trusts the chain only then
    tsa_eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert tsa_eku.critical and list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]

    lifetime = signer.not_valid_after_utc - signer.not_valid_before_utc
    assert lifetime.days >= 3650


def test_secret_files_are_0600_and_the_passphrase_is_nowhere_else(test_pki: TestPki) -> None:
    assert stat.S_IMODE(test_pki.pki_dir.stat().st_mode) == 0o700
    for secret in test_pki.secret_files:
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    passphrase = test_pki.read_signer_passphrase()
    assert len(passphrase) >= 32
    for public in (test_pki.config_file, test_pki.manifest_file, *test_pki.pki_dir.glob("certs/*")):
        assert passphrase not in public.read_bytes(), public


def test_pkcs12_holds_the_signer_and_its_chain(test_pki: TestPki) -> None:
    key, cert, chain = pkcs12.load_key_and_certificates(
        test_pki.signer_pkcs12.read_bytes(), test_pki.read_signer_passphrase()
    )
    assert cert == load_cert(test_pki.signer_cert)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert set(chain) == {load_cert(test_pki.root_cert), load_cert(test_pki.intermediate_cert)}
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        AgencySigner.from_pkcs12(test_pki.signer_pkcs12, b"not the passphrase", tsa_url=None)


def test_service_urls_follow_the_base_url(test_pki: TestPki) -> None:
    baked = service_urls(test_pki)
    moved = service_urls(test_pki, "http://127.0.0.1:4321/")
    assert baked.tsa.startswith(test_pki.services_base_url + "/")
    for field in ("tsa", "ocsp", "crl", "root_crl"):
        path = getattr(baked, field).removeprefix(test_pki.services_base_url)
        assert getattr(moved, field) == "http://127.0.0.1:4321" + path
    assert moved.crl.endswith("/crls/interm/latest.crl")
    signer = load_cert(test_pki.signer_cert)
    aia = signer.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [d.access_location.value for d in aia] == [baked.ocsp]


# --- the PKI server -------------------------------------------------------------------------------


def test_pki_server_health_and_local_binding(test_pki: TestPki, pki_service: ServiceUrls) -> None:
    with urllib.request.urlopen(test_pki.services_base_url + "/health", timeout=10) as resp:
        assert resp.status == 200
        assert json.loads(resp.read())["status"] == "ok"
    port = int(test_pki.services_base_url.rsplit(":", 1)[1])
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
    ]
    assert listening == [f"0100007F:{port:04X}"]  # 127.0.0.1 only, not 0.0.0.0


def test_pki_server_ocsp_says_good_for_the_signer(
    test_pki: TestPki, pki_service: ServiceUrls
) -> None:
    signer, interm = load_cert(test_pki.signer_cert), load_cert(test_pki.intermediate_cert)
    request = ocsp.OCSPRequestBuilder().add_certificate(signer, interm, hashes.SHA1()).build()
    http_request = urllib.request.Request(
        pki_service.ocsp,
        data=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    with urllib.request.urlopen(http_request, timeout=10) as resp:
        answer = ocsp.load_der_ocsp_response(resp.read())
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == signer.serial_number
    responder_key = load_cert(test_pki.ocsp_cert).public_key()
    assert isinstance(responder_key, rsa.RSAPublicKey)
    assert answer.signature_hash_algorithm is not None
    responder_key.verify(  # raises InvalidSignature if another key signed the response
        answer.signature,
        answer.tbs_response_bytes,
        padding.PKCS1v15(),
        answer.signature_hash_algorithm,
    )


def test_pki_server_crl_is_signed_by_the_intermediate(
    test_pki: TestPki, pki_service: ServiceUrls
) -> None:
    with urllib.request.urlopen(pki_service.crl, timeout=10) as resp:
        crl = x509.load_der_x509_crl(resp.read())
    interm = load_cert(test_pki.intermediate_cert)
    interm_key = interm.public_key()
    assert isinstance(interm_key, rsa.RSAPublicKey)
    assert crl.issuer == interm.subject
    assert crl.is_signature_valid(interm_key)
    # only the test PKI's revoked signer is listed (tests/test_audit.py checks it in detail)
    revoked = load_cert(test_pki.revoked_signer_cert)
    assert [entry.serial_number for entry in crl] == [revoked.serial_number]


def test_pki_server_refuses_a_folder_without_pki(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "motcua.infra.pki_server",
         "--pki-dir", str(tmp_path), "--port", str(free_port())],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == ConfigurationError.exit_code
    assert "no test PKI" in proc.stderr


# --- signing and verifying ------------------------------------------------------------------------


def test_sign_b_b_verifies(
    tmp_path: Path, test_pki: TestPki, signer_bb: AgencySigner, pki_service: ServiceUrls
) -> None:  # B-B carries no revocation evidence: verification fetches it from pki_service
    result = sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer_bb, level="B-B")
    data = (tmp_path / "out.pdf").read_bytes()

    assert result.level == "B-B" and result.timestamp_time is None
    assert result.sha256 == hashlib.sha256(data).hexdigest() and result.size_bytes == len(data)
    assert DEFAULT_AGENCY_NAME in result.signer_subject
    assert (
        result.signing_time.tzinfo is not None
        and result.signing_time.utcoffset().total_seconds() == 0
    )

    report = verify_pdf(data, trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    (sig,) = report.signatures
    assert (sig.intact, sig.valid, sig.trusted, sig.covers_entire_file) == (True, True, True, True)
    assert sig.level == "B-B" and sig.timestamp_time is None
    assert sig.modified_after_signing is False
    assert sig.signer_subject == result.signer_subject
    assert sig.signing_time == result.signing_time


def test_sign_b_t_verifies_with_a_timestamp(signed_bt: SignResult, test_pki: TestPki) -> None:
    assert signed_bt.level == "B-T" and signed_bt.timestamp_time is not None
    report = verify_pdf(signed_bt.path.read_bytes(), trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    (sig,) = report.signatures
    assert sig.level == "B-T"
    assert sig.timestamp_time == signed_bt.timestamp_time
    assert sig.signing_time is not None and sig.signing_time <= sig.timestamp_time
    assert (sig.intact, sig.valid, sig.trusted, sig.covers_entire_file) == (True, True, True, True)


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_pdfsig_agrees(level: str, tmp_path: Path, signer_bt: AgencySigner, nss_dir: Path) -> None:
    out = tmp_path / "out.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf"), out, signer_bt, level=level)  # type: ignore[arg-type]
    report = pdfsig(nss_dir, out)
    assert "Signature Type: ETSI.CAdES.detached" in report, report
    assert "Signature is Valid" in report, report
    assert "Total document signed" in report and "Not total document signed" not in report, report
    assert "Certificate is Trusted" in report, report


def test_a_flipped_byte_breaks_the_signature(
    tmp_path: Path, signed_bt: SignResult, test_pki: TestPki, nss_dir: Path
) -> None:
    data = bytearray(signed_bt.path.read_bytes())
    byte_range = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data)
    assert byte_range is not None
    first_range_end = int(byte_range.group(1))
    at = data.index(b"(pypdf)") + 2  # inside /Producer, well before the signature
    assert at < first_range_end
    data[at] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))

    report = verify_pdf(bytes(data), trust_roots=[test_pki.root_cert])
    assert not report.ok
    assert report.signatures[0].intact is False
    assert any("digest mismatch" in p for p in report.problems)

    poppler = pdfsig(nss_dir, tampered)
    assert "Signature is Valid" not in poppler, poppler
    assert "Digest Mismatch" in poppler or "Signature is Invalid" in poppler, poppler


def test_an_update_appended_after_signing_is_reported(
    tmp_path: Path, signed_bt: SignResult, test_pki: TestPki, nss_dir: Path
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed_bt.path.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 0 0 595 842 re f")
    )
    writer.update_container(page)  # paints page 1 red
    out = BytesIO()
    writer.write(out)
    painted = tmp_path / "painted.pdf"
    painted.write_bytes(out.getvalue())

    report = verify_pdf(out.getvalue(), trust_roots=[test_pki.root_cert])
    assert not report.ok
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.trusted  # the signed revision itself is fine ...
    assert sig.covers_entire_file is False and sig.modified_after_signing is True  # ... but
    assert any("does not cover the entire file" in str(p) for p in sig.problems)
    assert "Not total document signed" in pdfsig(nss_dir, painted)  # poppler only hints at it


def test_a_signer_from_another_root_is_not_trusted(
    tmp_path: Path, other_pki: TestPki, test_pki: TestPki
) -> None:
    stranger = signer_for(other_pki, None)
    sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", stranger, level="B-B")
    data = (tmp_path / "out.pdf").read_bytes()

    report = verify_pdf(data, trust_roots=[test_pki.root_cert])
    (sig,) = report.signatures
    assert not report.ok and sig.trusted is False
    assert sig.intact and sig.valid and OTHER_AGENCY in sig.signer_subject
    assert any("does not chain to a trust root" in str(p) for p in sig.problems)
    # Its own root trusts it; only its revocation status stays open (its services are not run).
    own = verify_pdf(data, trust_roots=[other_pki.root_cert], allow_fetching=False)
    assert own.verdict == "indeterminate" and own.last.intact and own.last.valid
    assert {p.code for p in own.last.problems} == {"revocation_unavailable"}


def test_a_signed_pdf_gets_a_second_signature_as_incremental_update(
    tmp_path: Path, signed_bt: SignResult, signer_bb: AgencySigner, test_pki: TestPki
) -> None:
    first = signed_bt.path.read_bytes()
    sign_pdf(signed_bt.path, tmp_path / "twice.pdf", signer_bb, level="B-B")
    twice = (tmp_path / "twice.pdf").read_bytes()
    assert twice.startswith(first)

    report = verify_pdf(twice, trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    earlier, later = report.signatures
    assert earlier.field_name != later.field_name
    assert (earlier.level, later.level) == ("B-T", "B-B")
    assert earlier.intact and earlier.covers_entire_file is False
    assert earlier.modification_level == "FORM_FILLING"
    assert later.covers_entire_file


def test_b_t_with_the_tsa_unreachable_is_pending(tmp_path: Path, test_pki: TestPki) -> None:
    nobody = signer_for(test_pki, f"http://{HOST}:{free_port()}/motcua-test/tsa/tsa")
    dst = tmp_path / "out.pdf"
    with pytest.raises(SignPending, match="did not answer") as caught:
        sign_pdf(make_pdf(tmp_path / "in.pdf"), dst, nobody, level="B-T")
    assert caught.value.code == "sign_pending"
    assert not dst.exists() and list(tmp_path.iterdir()) == [tmp_path / "in.pdf"]
    # the same signer still signs at B-B: pending is about the TSA, not the key
    assert sign_pdf(tmp_path / "in.pdf", dst, nobody, level="B-B").level == "B-B"


def test_b_t_is_pending_when_the_tsa_goes_down_after_working(
    tmp_path: Path, test_pki: TestPki
) -> None:
    # its own server: this one is stopped half-way (the TSA client has its size estimate cached)
    port = free_port()
    signer = signer_for(test_pki, service_urls(test_pki, f"http://{HOST}:{port}").tsa)
    src = make_pdf(tmp_path / "in.pdf")
    with running_pki_server(test_pki, port, tmp_path / "server.log"):
        assert sign_pdf(src, tmp_path / "first.pdf", signer, level="B-T").level == "B-T"
    with pytest.raises(SignPending):
        sign_pdf(src, tmp_path / "second.pdf", signer, level="B-T")
    assert not (tmp_path / "second.pdf").exists()


def test_b_t_with_a_tsa_that_never_answers_is_pending(tmp_path: Path, test_pki: TestPki) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind((HOST, 0))
        silent.listen()  # accepts connections (kernel backlog), never answers
        hanging = AgencySigner.from_pkcs12(
            test_pki.signer_pkcs12,
            test_pki.read_signer_passphrase(),
            tsa_url=f"http://{HOST}:{silent.getsockname()[1]}/tsa",
            tsa_timeout_seconds=1,
        )
        with pytest.raises(SignPending):
            sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", hanging, level="B-T")
    assert not (tmp_path / "out.pdf").exists()


def test_b_t_without_a_tsa_is_a_configuration_error(
    tmp_path: Path, signer_bb: AgencySigner
) -> None:
    with pytest.raises(ConfigurationError, match="needs a time-stamping authority") as caught:
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer_bb, level="B-T")
    assert caught.value.code == "configuration"
    assert not (tmp_path / "out.pdf").exists()


def test_input_pyhanko_cannot_parse_is_corrupt(tmp_path: Path, signer_bb: AgencySigner) -> None:
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a PDF at all\n")
    with pytest.raises(
        CorruptInput, match=r"garbage\.pdf is not a PDF that can be signed"
    ) as caught:
        sign_pdf(garbage, tmp_path / "out.pdf", signer_bb, level="B-B")
    assert caught.value.code == "corrupt"

    pillow = tmp_path / "pillow.pdf"  # real-world case: Pillow's xref is refused (platform-notes)
    Image.new("RGB", (64, 64), "white").save(pillow)
    with pytest.raises(CorruptInput, match=r"pillow\.pdf"):
        sign_pdf(pillow, tmp_path / "out.pdf", signer_bb, level="B-B")
    assert not (tmp_path / "out.pdf").exists()


def test_encrypted_input_is_refused(tmp_path: Path, signer_bb: AgencySigner) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("user", "owner", algorithm="AES-256")
    encrypted = tmp_path / "encrypted.pdf"
    with encrypted.open("wb") as out:
        writer.write(out)
    with pytest.raises(EncryptedInput) as caught:
        sign_pdf(encrypted, tmp_path / "out.pdf", signer_bb, level="B-B")
    assert caught.value.code == "encrypted" and "encrypted.pdf" in caught.value.message


def test_verify_never_raises_for_bad_documents(tmp_path: Path, test_pki: TestPki) -> None:
    unsigned = verify_pdf(
        make_pdf(tmp_path / "plain.pdf").read_bytes(), trust_roots=[test_pki.root_cert]
    )
    assert not unsigned.ok and unsigned.signatures == ()
    assert unsigned.problems == ("the document carries no signature",)

    garbage = verify_pdf(b"\x00\x01 not a pdf", trust_roots=[test_pki.root_cert])
    assert not garbage.ok and garbage.problems[0].startswith("not a readable PDF")

    with pytest.raises(ConfigurationError, match="no trust root"):
        verify_pdf(b"%PDF-1.7", trust_roots=[])


# --- threads and event loops ----------------------------------------------------------------------


def test_one_signer_serves_several_worker_threads(
    tmp_path: Path, signer_bt: AgencySigner, test_pki: TestPki
) -> None:
    # Regression: one pyHanko signer shared by threads sometimes produced a CMS whose chain
    # could not be built (asn1crypto objects are not thread-safe); 12 documents made it show.
    src = make_pdf(tmp_path / "in.pdf")

    def job(n: int) -> SignResult:
        assert threading.current_thread() is not threading.main_thread()
        return sign_pdf(src, tmp_path / f"out-{n}.pdf", signer_bt, level="B-T")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, range(12)))
    assert [r.level for r in results] == ["B-T"] * 12
    assert len({r.sha256 for r in results}) == 12
    problems = {
        r.path.name: verify_pdf(r.path.read_bytes(), trust_roots=[test_pki.root_cert]).problems
        for r in results
    }
    assert problems == {r.path.name: () for r in results}


def test_inside_an_event_loop_use_to_thread(tmp_path: Path, signer_bb: AgencySigner) -> None:
    src = make_pdf(tmp_path / "in.pdf")

    async def flow() -> SignResult:
        with pytest.raises(RuntimeError, match=r"asyncio\.to_thread"):
            sign_pdf(src, tmp_path / "direct.pdf", signer_bb, level="B-B")
        return await asyncio.to_thread(sign_pdf, src, tmp_path / "ok.pdf", signer_bb, level="B-B")

    assert asyncio.run(flow()).level == "B-B"
    assert not (tmp_path / "direct.pdf").exists()
