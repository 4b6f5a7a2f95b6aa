"""Which key, TSA, level and stamp the pipeline signs with, for given settings."""

import pytest
from pydantic import ValidationError

from motcua.errors import ConfigurationError
from motcua.settings import Settings
from motcua.signing.factory import (
    agency_signer,
    signature_level,
    signing_key,
    stamp_spec,
    trust_roots,
)
from motcua.signing.keys import Pkcs12Key
from motcua.signing.pki import service_urls


def p12_settings(tmp_path, test_pki, **extra):
    return Settings(data_dir=tmp_path, signer_pkcs12=test_pki.signer_pkcs12,
                    signer_pkcs12_passphrase=test_pki.read_signer_passphrase().decode(), **extra)


def test_default_level_is_the_highest_the_stack_supports(tmp_path, test_pki):
    assert signature_level(Settings(data_dir=tmp_path)) == "B-LT"  # embedded TSA + OCSP/CRLs
    p12 = tmp_path / "agency.p12"  # not read: without a TSA nothing above B-B is possible
    assert signature_level(Settings(data_dir=tmp_path, signer_pkcs12=p12)) == "B-B"
    tsa = "http://tsa.example/"
    assert signature_level(Settings(data_dir=tmp_path, signer_pkcs12=p12, tsa_url=tsa)) == "B-T"
    # with trust roots, the certificate decides: the test signer names an OCSP responder
    assert signature_level(p12_settings(tmp_path, test_pki, tsa_url=tsa,
                                        trust_roots=[test_pki.root_cert])) == "B-LT"
    for level in ("B-B", "B-T", "B-LT", "B-LTA"):  # explicit = exact
        assert signature_level(Settings(data_dir=tmp_path, signature_level=level)) == level


def test_the_embedded_stack_signs_b_lt_with_its_own_services(test_pki):
    settings = Settings(data_dir=test_pki.pki_dir.parent)
    signer = agency_signer(settings)
    assert signer.tsa_url == service_urls(test_pki).tsa
    assert signer.trust_roots_der and signer.revocation_urls
    assert isinstance(signer.key, Pkcs12Key) and agency_signer(settings) is signer  # parsed once


def test_explicit_levels_without_their_services_are_refused(tmp_path, test_pki):
    settings = p12_settings(tmp_path, test_pki, signature_level="B-T")
    with pytest.raises(ConfigurationError, match="time-stamping authority"):
        agency_signer(settings)
    assert agency_signer(settings.model_copy(update={"signature_level": "B-B"})).tsa_url is None
    lt = p12_settings(tmp_path, test_pki, signature_level="B-LT", tsa_url="http://tsa.example/")
    with pytest.raises(ConfigurationError, match="trust roots"):
        agency_signer(lt)
    with_roots = lt.model_copy(update={"trust_roots": [test_pki.root_cert]})
    assert agency_signer(with_roots).trust_roots_der


def test_missing_secrets_and_trust_roots_are_clear_errors(tmp_path, test_pki):
    with pytest.raises(ConfigurationError, match="PASSPHRASE"):
        agency_signer(Settings(data_dir=tmp_path, signer_pkcs12=test_pki.signer_pkcs12))
    with pytest.raises(ConfigurationError, match="trust root"):
        trust_roots(Settings(data_dir=tmp_path, trust_roots=[tmp_path / "nope.pem"]))
    module = tmp_path / "libtoken.so"
    with pytest.raises(ConfigurationError, match="KEY_LABEL and MOTCUA_PKCS11_PIN"):
        signing_key(Settings(data_dir=tmp_path, pkcs11_module=module))
    with pytest.raises(ConfigurationError, match="both MOTCUA_PKCS11_MODULE and"):
        signing_key(Settings(data_dir=tmp_path, pkcs11_module=module, pkcs11_key_label="k",
                             pkcs11_pin="123456", signer_pkcs12=test_pki.signer_pkcs12))


def test_the_pin_is_a_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTCUA_PKCS11_PIN", "271828")
    settings = Settings(data_dir=tmp_path)
    assert settings.pkcs11_pin is not None and settings.pkcs11_pin.get_secret_value() == "271828"
    assert "271828" not in repr(settings) and "271828" not in settings.model_dump_json()


def test_stamp_settings(tmp_path, monkeypatch):
    assert stamp_spec(Settings(data_dir=tmp_path, stamp_enabled=False), "Sở Tư pháp") is None
    monkeypatch.setenv("MOTCUA_STAMP_BOX", "[300, 30, 560, 110]")
    monkeypatch.setenv("MOTCUA_STAMP_PAGE", "1")
    spec = stamp_spec(Settings(data_dir=tmp_path), "So\u031b\u0309 Tu\u031b pha\u0301p")
    assert spec is not None and (spec.page, spec.box) == (1, (300.0, 30.0, 560.0, 110.0))
    assert spec.agency_name == "Sở Tư pháp"  # NFC, whatever the caller passed
    with pytest.raises(ValidationError, match="0 is no page"):
        Settings(data_dir=tmp_path, stamp_page=0)
    with pytest.raises(ValidationError, match="x1 < x2"):
        Settings(data_dir=tmp_path, stamp_box=(560, 30, 300, 110))
