"""PAdES B-B, B-T, B-LT and B-LTA with real parts: pyHanko, the test PKI's TSA, OCSP responder and
CRLs over HTTP on 127.0.0.1, and an independent reading of what the files carry (cryptography's
OCSP parser, pyHanko's validation seeded only from the document's own DSS)."""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from motcua.errors import ConfigurationError, SignPending
from motcua.signing.agency import AgencySigner
from motcua.signing.cms_info import subject_name
from motcua.signing.keys import Pkcs12Key
from motcua.signing.pades import LEVELS, SignResult, sign_pdf
from motcua.signing.pki import TestPki, ensure_test_pki, service_urls
from motcua.signing.pki_config import REVOKED_SIGNER
from motcua.signing.verify import verify_pdf
from tests.fixtures.pki import HOST, free_port, running_pki_server
from tests.test_signing import make_pdf


@pytest.fixture(scope="module")
def signer_lt(test_pki: TestPki, pki_service) -> AgencySigner:
    """A signer with every service: TSA, and trust roots to check revocation information."""
    return AgencySigner.from_pkcs12(
        test_pki.signer_pkcs12, test_pki.read_signer_passphrase(),
        tsa_url=pki_service.tsa, trust_roots=[test_pki.root_cert],
    )  # fmt: skip


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory, signer_lt: AgencySigner
) -> dict[str, SignResult]:
    work = tmp_path_factory.mktemp("levels")
    src = make_pdf(work / "in.pdf", pages=2)
    return {
        level: sign_pdf(src, work / f"{level}.pdf", signer_lt, level=level, location="Sóc Trăng")
        for level in LEVELS
    }


def _dss_ocsp_responses(data: bytes) -> list[ocsp.OCSPResponse]:
    reader = PdfFileReader(BytesIO(data))
    if "/DSS" not in reader.root:
        return []
    dss = reader.root["/DSS"]
    return [ocsp.load_der_ocsp_response(r.get_object().data) for r in dss.get("/OCSPs", ())]


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_is_produced_and_read_back(
    level: str, signed: dict[str, SignResult], test_pki: TestPki
) -> None:
    result = signed[level]
    data = result.path.read_bytes()
    assert result.level == level
    assert (result.timestamp_time is None) == (level == "B-B")

    report = verify_pdf(data, trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    (sig,) = report.signatures
    assert sig.level == level  # verify's own reading of the file agrees
    assert sig.field_name == result.field_name and sig.modified_after_signing is False
    # DSS and document-timestamp revisions follow a B-LT/B-LTA signature; nothing else may
    assert sig.covers_entire_file is (level in ("B-B", "B-T"))

    responses = _dss_ocsp_responses(data)
    signer_cert = x509.load_pem_x509_certificate(test_pki.signer_cert.read_bytes())
    if level in ("B-LT", "B-LTA"):
        about_signer = [r for r in responses if r.serial_number == signer_cert.serial_number]
        assert about_signer and about_signer[0].certificate_status == ocsp.OCSPCertStatus.GOOD
    else:
        assert responses == []
    doc_timestamps = [s for s in PdfFileReader(BytesIO(data)).embedded_signatures
                      if s.sig_object_type == "/DocTimeStamp"]  # fmt: skip
    assert len(doc_timestamps) == (1 if level == "B-LTA" else 0)


def test_b_lt_carries_what_an_offline_validator_needs(
    signed: dict[str, SignResult], test_pki: TestPki
) -> None:
    """Seeded only from the file's DSS, with no network and revocation info *required*, the B-LT
    signature is trusted; the B-T one, which carries none, is not."""
    root = load_cert_from_pemder(str(test_pki.root_cert))

    def trusted_offline(data: bytes) -> bool:
        reader = PdfFileReader(BytesIO(data))
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(
            {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "require"}
        ) if "/DSS" in reader.root else None  # fmt: skip
        if context is None:
            return False
        status = validate_pdf_signature(
            reader.embedded_regular_signatures[0], signer_validation_context=context
        )
        return status.bottom_line

    assert trusted_offline(signed["B-LT"].path.read_bytes())
    assert trusted_offline(signed["B-LTA"].path.read_bytes())
    assert not trusted_offline(signed["B-T"].path.read_bytes())


def test_levels_cost_what_they_add(signed: dict[str, SignResult]) -> None:
    sizes = [signed[level].size_bytes for level in LEVELS]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4  # each level adds data to the last


def test_revocation_servers_down_is_pending_never_a_lower_level(tmp_path: Path) -> None:
    # A PKI whose OCSP/CRL URLs point at a port nobody listens on, its TSA served elsewhere.
    pki = ensure_test_pki(tmp_path / "pki", services_base_url=f"http://{HOST}:{free_port()}")
    port = free_port()
    signer = AgencySigner.from_pkcs12(
        pki.signer_pkcs12, pki.read_signer_passphrase(),
        tsa_url=service_urls(pki, f"http://{HOST}:{port}").tsa, trust_roots=[pki.root_cert],
    )  # fmt: skip
    src = make_pdf(tmp_path / "in.pdf")
    with running_pki_server(pki, port, tmp_path / "server.log"):
        for level in ("B-LT", "B-LTA"):
            with pytest.raises(SignPending, match="revocation information") as caught:
                sign_pdf(src, tmp_path / "out.pdf", signer, level=level)  # type: ignore[arg-type]
            assert caught.value.code == "sign_pending"
            assert not (tmp_path / "out.pdf").exists()
        # the TSA is up: B-T works with the same signer, so pending was about OCSP/CRLs only
        assert sign_pdf(src, tmp_path / "bt.pdf", signer, level="B-T").level == "B-T"


def test_tsa_down_at_b_lt_is_pending_without_the_urls_password(
    tmp_path: Path, test_pki: TestPki, pki_service
) -> None:
    password = "s3cret-tsa-password"
    signer = AgencySigner.from_pkcs12(
        test_pki.signer_pkcs12, test_pki.read_signer_passphrase(),
        tsa_url=f"http://motcua:{password}@{HOST}:{free_port()}/tsa",
        trust_roots=[test_pki.root_cert],
    )  # fmt: skip
    with pytest.raises(SignPending, match="time-stamping authority") as caught:
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer, level="B-LT")
    text = f"{caught.value} {caught.value!r} {caught.value.hint}"
    assert password not in text and "motcua:" not in text
    assert f"http://{HOST}:" in caught.value.message
    assert not (tmp_path / "out.pdf").exists()


def revoked_signer(test_pki: TestPki, tsa_url: str) -> AgencySigner:
    """An agency signer holding the test PKI's revoked certificate, trusting the test root."""
    key = serialization.load_pem_private_key(
        test_pki.key_file(REVOKED_SIGNER).read_bytes(), password=None
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    der = x509.load_pem_x509_certificate(test_pki.revoked_signer_cert.read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    chain = tuple(
        x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(serialization.Encoding.DER)
        for p in (test_pki.intermediate_cert, test_pki.root_cert)
    )
    return AgencySigner(
        key=Pkcs12Key(subject=subject_name(asn1_x509.Certificate.load(der)), key=key,
                      cert_der=der, chain_der=chain),
        tsa_url=tsa_url, trust_roots_der=(chain[1],),
    )  # fmt: skip


def test_a_revoked_signer_is_a_configuration_error(
    tmp_path: Path, test_pki: TestPki, pki_service
) -> None:
    revoked = revoked_signer(test_pki, pki_service.tsa)
    with pytest.raises(ConfigurationError, match="revoked") as caught:
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", revoked, level="B-LT")
    assert "new certificate" in caught.value.hint
    assert not (tmp_path / "out.pdf").exists()


def test_explicit_levels_need_their_services(tmp_path: Path, test_pki: TestPki) -> None:
    src = make_pdf(tmp_path / "in.pdf")
    no_roots = AgencySigner.from_pkcs12(
        test_pki.signer_pkcs12, test_pki.read_signer_passphrase(), tsa_url="http://127.0.0.1:1/"
    )
    with pytest.raises(ConfigurationError, match="trust roots"):
        sign_pdf(src, tmp_path / "out.pdf", no_roots, level="B-LT")
    no_tsa = AgencySigner.from_pkcs12(
        test_pki.signer_pkcs12, test_pki.read_signer_passphrase(), tsa_url=None,
        trust_roots=[test_pki.root_cert],
    )  # fmt: skip
    with pytest.raises(ConfigurationError, match="time-stamping authority"):
        sign_pdf(src, tmp_path / "out.pdf", no_tsa, level="B-LTA")

    # a certificate that names no OCSP responder and no CRL can never reach B-LT
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Không có OCSP (TEST)")])
    now = x509.load_pem_x509_certificate(test_pki.root_cert.read_bytes()).not_valid_before_utc
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now.replace(year=now.year + 5))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    der = cert.public_bytes(serialization.Encoding.DER)
    bare = AgencySigner(
        key=Pkcs12Key(subject="CN=bare", key=key, cert_der=der, chain_der=()),
        tsa_url="http://127.0.0.1:1/", trust_roots_der=(der,),
    )  # fmt: skip
    assert bare.revocation_urls == ()
    with pytest.raises(ConfigurationError, match="names no OCSP responder or CRL"):
        sign_pdf(src, tmp_path / "out.pdf", bare, level="B-LT")
    assert not (tmp_path / "out.pdf").exists()


def test_one_validation_context_per_thread(tmp_path: Path, signer_lt: AgencySigner) -> None:
    src = make_pdf(tmp_path / "in.pdf")
    sign_pdf(src, tmp_path / "a.pdf", signer_lt, level="B-LT")
    mine = signer_lt.validation_context()
    sign_pdf(src, tmp_path / "b.pdf", signer_lt, level="B-LT")
    assert signer_lt.validation_context() is mine  # no second OCSP/CRL fetch per document
    assert mine.ocsps and mine.crls  # what it fetched for the first document, kept

    theirs: list[object] = []
    worker = threading.Thread(target=lambda: theirs.append(signer_lt.validation_context()))
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine  # asn1crypto objects are not shared across threads
    # …but the revocation information is: a new thread (a worker's next dossier) starts with
    # what the first fetched, as DER, instead of fetching it again
    assert {o.dump() for o in theirs[0].ocsps} == {o.dump() for o in mine.ocsps}
    assert {c.dump() for c in theirs[0].crls} == {c.dump() for c in mine.crls}
    # pyHanko fetches OCSP again for every context that may fetch, whatever it was given
    assert mine.fetching_allowed and not theirs[0].fetching_allowed


def test_shared_revocation_info_that_does_not_do_is_fetched_afresh(
    tmp_path: Path, signer_lt: AgencySigner
) -> None:
    """A fresh shared copy that lacks what a document needs (here: nothing in it) is not an
    error and never a weaker signature: the document's context fetches, as the first did."""
    src = make_pdf(tmp_path / "in.pdf")
    sign_pdf(src, tmp_path / "a.pdf", signer_lt, level="B-LT")  # fills the shared copy
    signer_lt._shared.update({"ocsps": (), "crls": ()})  # …as if it held nothing useful
    results: list[object] = []

    def in_a_new_thread() -> None:
        results.append(sign_pdf(src, tmp_path / "b.pdf", signer_lt, level="B-LT"))
        results.append(signer_lt.validation_context())

    worker = threading.Thread(target=in_a_new_thread)
    worker.start()
    worker.join()
    signed, context = results
    assert signed.level == "B-LT"
    assert context.fetching_allowed and context.ocsps  # it fetched for itself
    reader = PdfFileReader(BytesIO((tmp_path / "b.pdf").read_bytes()))
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps and dss.crls
