"""Which key, TSA and level the pipeline signs with, for given settings."""

import pytest

from motcua.errors import ConfigurationError
from motcua.settings import Settings
from motcua.signing.factory import agency_signer, signature_level, trust_roots


def test_level_follows_the_tsa_unless_set(tmp_path):
    assert signature_level(Settings(data_dir=tmp_path)) == "B-T"  # embedded test TSA
    p12 = tmp_path / "agency.p12"
    assert signature_level(Settings(data_dir=tmp_path, signer_pkcs12=p12)) == "B-B"  # no TSA
    assert signature_level(Settings(data_dir=tmp_path, signer_pkcs12=p12,
                                    tsa_url="http://tsa.example/")) == "B-T"
    assert signature_level(Settings(data_dir=tmp_path, signature_level="B-B")) == "B-B"


def test_explicit_b_t_without_a_tsa_is_refused(tmp_path, test_pki):
    settings = Settings(data_dir=tmp_path, signer_pkcs12=test_pki.signer_pkcs12,
                        signer_pkcs12_passphrase=test_pki.read_signer_passphrase().decode(),
                        signature_level="B-T")
    with pytest.raises(ConfigurationError, match="time-stamping authority"):
        agency_signer(settings)
    b_b = settings.model_copy(update={"signature_level": "B-B"})
    assert agency_signer(b_b).tsa_url is None


def test_missing_passphrase_and_trust_roots_are_clear_errors(tmp_path, test_pki):
    with pytest.raises(ConfigurationError, match="PASSPHRASE"):
        agency_signer(Settings(data_dir=tmp_path, signer_pkcs12=test_pki.signer_pkcs12))
    with pytest.raises(ConfigurationError, match="trust root"):
        trust_roots(Settings(data_dir=tmp_path, trust_roots=[tmp_path / "nope.pem"]))
