"""Where the agency's key, the TSA and the trust roots come from, for given settings.

Production sets ``MOTCUA_SIGNER_PKCS12`` (+ passphrase), ``MOTCUA_TSA_URL`` and
``MOTCUA_TRUST_ROOTS``; the embedded stack leaves them empty and uses the test PKI that
``motcua up`` generated in ``<data_dir>/pki`` and serves with its TSA. One signer per process and
configuration: parsing the PKCS#12 key costs more than a B-B signature (docs/platform.md), and
the signer keeps pyHanko's per-thread tools (a timestamper, whose first request sizes the
signature) warm.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from motcua.errors import ConfigurationError
from motcua.settings import Settings, SignatureLevel
from motcua.signing.pades import AgencySigner


def _embedded_tsa_url(settings: Settings) -> str:
    from motcua.signing.pki import load_test_pki, service_urls

    return service_urls(load_test_pki(settings.pki_dir)).tsa


@cache
def _signer(p12: Path, passphrase: bytes, tsa_url: str | None) -> AgencySigner:
    return AgencySigner.from_pkcs12(p12, passphrase, tsa_url=tsa_url)


def signature_level(settings: Settings) -> SignatureLevel:
    """The level every document is signed at: as configured, else B-T when a TSA exists (the
    embedded test PKI always has one), else B-B. Recorded with each document."""
    if settings.signature_level is not None:
        return settings.signature_level
    uses_test_pki = settings.signer_pkcs12 is None
    return "B-T" if settings.tsa_url or uses_test_pki else "B-B"


def agency_signer(settings: Settings) -> AgencySigner:
    """The receiving agency's signer, with the TSA the settings (or the stack) name."""
    tsa_url = settings.tsa_url
    if signature_level(settings) == "B-T" and tsa_url is None and settings.signer_pkcs12 is not None:
        raise ConfigurationError(
            "MOTCUA_SIGNATURE_LEVEL=B-T needs a time-stamping authority",
            hint="set MOTCUA_TSA_URL, or MOTCUA_SIGNATURE_LEVEL=B-B to sign without timestamps",
        )
    if settings.signer_pkcs12 is not None:
        if settings.signer_pkcs12_passphrase is None:
            raise ConfigurationError(
                "MOTCUA_SIGNER_PKCS12 is set without MOTCUA_SIGNER_PKCS12_PASSPHRASE",
                hint="set the passphrase (it is never logged)",
            )
        passphrase = settings.signer_pkcs12_passphrase.get_secret_value().encode()
        return _signer(settings.signer_pkcs12.absolute(), passphrase, tsa_url)
    from motcua.signing.pki import load_test_pki

    pki = load_test_pki(settings.pki_dir)
    if tsa_url is None and signature_level(settings) == "B-T":
        tsa_url = _embedded_tsa_url(settings)
    return _signer(pki.signer_pkcs12, pki.read_signer_passphrase(), tsa_url)


def trust_roots(settings: Settings) -> list[Path]:
    """Certificates a valid archive signature must chain to."""
    if settings.trust_roots:
        missing = [p for p in settings.trust_roots if not p.is_file()]
        if missing:
            raise ConfigurationError(f"trust root file(s) missing: {', '.join(map(str, missing))}",
                                     hint="fix MOTCUA_TRUST_ROOTS")
        return list(settings.trust_roots)
    from motcua.signing.pki import load_test_pki

    return [load_test_pki(settings.pki_dir).root_cert]
