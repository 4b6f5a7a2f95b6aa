"""Signing with the agency's key on a PKCS#11 token: a real SoftHSM2 token (``softhsm_tokens``),
the real test PKI services over HTTP, real pyHanko. Nothing is mocked."""

from __future__ import annotations

import secrets
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr

from motcua.errors import ConfigurationError, SignPending
from motcua.settings import Settings
from motcua.signing.agency import AgencySigner
from motcua.signing.factory import agency_signer, signature_level, signing_key, stamp_spec
from motcua.signing.pades import sign_pdf
from motcua.signing.pkcs11 import Pkcs11Key
from motcua.signing.pki import TestPki
from motcua.signing.pki_config import DEFAULT_AGENCY_NAME
from motcua.signing.verify import verify_pdf
from tests.fixtures.softhsm import SoftHsmToken, SoftHsmTokens
from tests.test_signing import make_pdf


def open_key(token: SoftHsmToken, pin: str | None = None, **kwargs: str) -> Pkcs11Key:
    return Pkcs11Key.open(
        module=token.module, pin=SecretStr(pin if pin is not None else token.pin),
        key_label=token.key_label, token_label=token.label, **kwargs,
    )  # fmt: skip


def der(path: Path) -> bytes:
    return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(
        serialization.Encoding.DER
    )


def token_settings(tmp_path: Path, token: SoftHsmToken, **extra: object) -> Settings:
    return Settings(
        data_dir=tmp_path, pkcs11_module=token.module, pkcs11_token_label=token.label,
        pkcs11_key_label=token.key_label, pkcs11_pin=token.pin, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_sign_b_t_with_the_key_on_the_token(
    tmp_path: Path, softhsm_tokens: SoftHsmTokens, test_pki: TestPki, pki_service
) -> None:
    key = open_key(softhsm_tokens.agency)
    assert key.cert_der == der(test_pki.signer_cert)
    # the chain comes from the token, as on an agency's USB token
    assert set(key.chain_der) == {der(test_pki.intermediate_cert), der(test_pki.root_cert)}
    assert DEFAULT_AGENCY_NAME in key.subject

    signer = AgencySigner(key=key, tsa_url=pki_service.tsa)
    result = sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer, level="B-T")
    assert result.level == "B-T" and result.timestamp_time is not None

    report = verify_pdf(result.path.read_bytes(), trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    (sig,) = report.signatures
    assert (sig.intact, sig.valid, sig.trusted, sig.covers_entire_file) == (True,) * 4
    assert sig.level == "B-T" and sig.signer_subject == key.subject


def test_the_factory_signs_b_lt_through_the_token(
    tmp_path: Path, softhsm_tokens: SoftHsmTokens, test_pki: TestPki, pki_service
) -> None:
    settings = token_settings(
        tmp_path, softhsm_tokens.agency, tsa_url=pki_service.tsa, trust_roots=[test_pki.root_cert]
    )
    assert signature_level(settings) == "B-LT"  # TSA, trust roots, and the cert names an OCSP
    signer = agency_signer(settings)
    assert isinstance(signer.key, Pkcs11Key)
    assert agency_signer(settings) is signer and signing_key(settings) is signer.key  # one login

    result = sign_pdf(
        make_pdf(tmp_path / "in.pdf", pages=2), tmp_path / "out.pdf", signer, level="B-LT",
        stamp=stamp_spec(settings, DEFAULT_AGENCY_NAME),
    )  # fmt: skip
    assert result.level == "B-LT"
    report = verify_pdf(result.path.read_bytes(), trust_roots=[test_pki.root_cert])
    assert report.ok, report.problems
    assert report.signatures[0].level == "B-LT"


def test_threads_share_the_token_session(
    tmp_path: Path, softhsm_tokens: SoftHsmTokens, test_pki: TestPki, pki_service
) -> None:
    signer = AgencySigner(key=open_key(softhsm_tokens.agency), tsa_url=pki_service.tsa)
    src = make_pdf(tmp_path / "in.pdf")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(
            lambda n: sign_pdf(src, tmp_path / f"out-{n}.pdf", signer, level="B-T"), range(6)
        ))  # fmt: skip
    assert len({r.sha256 for r in results}) == 6
    for r in results:
        assert verify_pdf(r.path.read_bytes(), trust_roots=[test_pki.root_cert]).ok, r.path


def test_a_wrong_pin_is_a_configuration_error_that_never_shows_the_pin(
    tmp_path: Path, softhsm_tokens: SoftHsmTokens
) -> None:
    spare = softhsm_tokens.spare
    wrong = secrets.token_hex(8)
    with pytest.raises(ConfigurationError, match="refused the PIN") as caught:
        open_key(spare, wrong)
    assert caught.value.code == "configuration" and "MOTCUA_PKCS11_PIN" in caught.value.hint
    shown = "".join(traceback.format_exception(caught.value)) + caught.value.hint
    assert wrong not in shown and spare.pin not in shown

    # through the settings too: the PIN is a secret there, absent from any dump
    settings = token_settings(tmp_path, spare).model_copy(update={"pkcs11_pin": SecretStr(wrong)})
    assert wrong not in repr(settings) and wrong not in settings.model_dump_json()
    with pytest.raises(ConfigurationError, match="not tried again") as again:
        agency_signer(settings)  # a token locks itself after a few wrong PINs: not asked again
    assert wrong not in "".join(traceback.format_exception(again.value))

    # motcua did not lock the token: the right PIN still opens it
    assert open_key(spare).cert_der == open_key(spare).cert_der


def test_token_problems_are_told_apart(softhsm_tokens: SoftHsmTokens) -> None:
    agency = softhsm_tokens.agency
    with pytest.raises(SignPending, match="no PKCS#11 token labelled 'unplugged'"):
        Pkcs11Key.open(module=agency.module, pin=SecretStr(agency.pin), key_label="x",
                       token_label="unplugged")  # fmt: skip
    with pytest.raises(ConfigurationError, match="0 private keys labelled 'no-such-key'"):
        Pkcs11Key.open(module=agency.module, pin=SecretStr(agency.pin), key_label="no-such-key",
                       token_label=agency.label)  # fmt: skip
    with pytest.raises(ConfigurationError, match="is not the one of key"):
        open_key(agency, cert_label="ca-root")  # a certificate that is not the key's
    with pytest.raises(ConfigurationError, match="does not exist"):
        Pkcs11Key.open(module=Path("/nonexistent/libtoken.so"), pin=SecretStr("1"),
                       key_label="x")  # fmt: skip
