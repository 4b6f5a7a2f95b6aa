"""Where the agency's key, the TSA and the trust roots come from, and which PAdES level, for
given settings.

Production sets either ``MOTCUA_SIGNER_PKCS12`` (+ passphrase) or ``MOTCUA_PKCS11_MODULE`` (+
token, key label and PIN), and ``MOTCUA_TSA_URL`` and ``MOTCUA_TRUST_ROOTS``; the embedded stack
leaves them empty and uses the test PKI that ``motcua up`` generated in ``<data_dir>/pki`` and
serves with its TSA, OCSP responder and CRLs.

Default level (``MOTCUA_SIGNATURE_LEVEL`` empty) — the highest the stack can produce:

- **B-LT** when there is a TSA *and* revocation information can be fetched and checked: the
  embedded test PKI always qualifies; a production key qualifies with ``MOTCUA_TSA_URL``,
  ``MOTCUA_TRUST_ROOTS`` and a signer certificate that names an OCSP responder or a CRL (read
  from the certificate itself, so deciding may open the PKCS#12 file or the token);
- **B-T** with a TSA only; **B-B** without one.

B-LTA is never a default (it costs a second TSA request per document): set it explicitly. An
explicit level is exact; one the stack cannot produce is a :class:`ConfigurationError` here, and
a server that is down at signing time makes the document wait (``SignPending``), never a lower
level.

One key and one signer per process and configuration: parsing a PKCS#12 key costs more than a
B-B signature, a token allows one login, and the signer keeps pyHanko's TSA client, validation
contexts and the fetched revocation information warm (:mod:`motcua.signing.agency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import SecretStr

from motcua.errors import ConfigurationError
from motcua.settings import Settings, SignatureLevel
from motcua.signing.agency import AgencySigner
from motcua.signing.failures import redact
from motcua.signing.keys import Pkcs12Key, SigningKey, load_trust_roots, revocation_urls
from motcua.signing.pades import NEEDS_REVOCATION, NEEDS_TSA
from motcua.signing.stamp import StampSpec, load_stamp_font


@dataclass(frozen=True)
class SigningPlan:
    """What every document of a run is signed with, resolved and checked once, before any OCR:
    a wrong passphrase or PIN, a missing TSA for the level, an untrusted chain or a stamp font
    without Vietnamese glyphs fails the run in a second, not after a dossier's OCR. Plain data
    (the key itself stays in this module's per-process caches), so tasks can be handed it."""

    level: SignatureLevel
    signer_subject: str
    tsa_url: str | None  # without any password it may carry
    stamp: bool


def prepare_signing(settings: Settings) -> SigningPlan:
    """Resolve the level, open the key (a token logs in here), check the services the level
    needs and the stamp font; :class:`ConfigurationError` if any of it is wrong."""
    level = signature_level(settings)
    signer = agency_signer(settings)
    if settings.stamp_enabled:
        load_stamp_font(settings.stamp_font)
    return SigningPlan(level=level, signer_subject=signer.subject,
                       tsa_url=redact(signer.tsa_url) if signer.tsa_url else None,
                       stamp=settings.stamp_enabled)


def signature_level(settings: Settings) -> SignatureLevel:
    """The level every document is signed at (recorded with each document)."""
    if settings.signature_level is not None:
        return settings.signature_level
    if settings.uses_test_pki:
        return "B-LT"
    if settings.tsa_url is None:
        return "B-B"
    if settings.trust_roots and revocation_urls(signing_key(settings).cert_der):
        return "B-LT"
    return "B-T"


def agency_signer(settings: Settings) -> AgencySigner:
    """The receiving agency's signer, with the services its level needs."""
    level = signature_level(settings)
    key = signing_key(settings)
    tsa_url = settings.tsa_url
    if tsa_url is None and settings.uses_test_pki and level in NEEDS_TSA:
        tsa_url = _embedded_tsa_url(settings)
    if level in NEEDS_TSA and tsa_url is None:
        raise ConfigurationError(
            f"MOTCUA_SIGNATURE_LEVEL={level} needs a time-stamping authority",
            hint="set MOTCUA_TSA_URL, or MOTCUA_SIGNATURE_LEVEL=B-B to sign without timestamps",
        )
    roots: tuple[Path, ...] = ()
    if level in NEEDS_REVOCATION:
        if not settings.trust_roots and not settings.uses_test_pki:
            raise ConfigurationError(
                f"MOTCUA_SIGNATURE_LEVEL={level} needs the trust roots of the signer's CA",
                hint="set MOTCUA_TRUST_ROOTS, or MOTCUA_SIGNATURE_LEVEL=B-T",
            )
        if not revocation_urls(key.cert_der):
            raise ConfigurationError(
                f"MOTCUA_SIGNATURE_LEVEL={level} needs revocation information, and the signer's "
                "certificate names no OCSP responder or CRL",
                hint="use a certificate from a CA that publishes OCSP/CRLs, or "
                "MOTCUA_SIGNATURE_LEVEL=B-T",
            )
        roots = tuple(trust_roots(settings))
    return _signer(key, tsa_url, roots)


def signing_key(settings: Settings) -> SigningKey:
    """The agency's key: a PKCS#11 token, a PKCS#12 file, or the test PKI's PKCS#12."""
    if settings.pkcs11_module is not None:
        if settings.signer_pkcs12 is not None:
            raise ConfigurationError(
                "both MOTCUA_PKCS11_MODULE and MOTCUA_SIGNER_PKCS12 are set",
                hint="sign with the token or with the file: unset one of them",
            )
        if settings.pkcs11_key_label is None or settings.pkcs11_pin is None:
            raise ConfigurationError(
                "MOTCUA_PKCS11_MODULE is set without MOTCUA_PKCS11_KEY_LABEL and MOTCUA_PKCS11_PIN",
                hint="set the key's label and the token's user PIN (the PIN is never logged)",
            )
        return _pkcs11_key(
            settings.pkcs11_module.absolute(), settings.pkcs11_pin, settings.pkcs11_key_label,
            settings.pkcs11_cert_label, settings.pkcs11_token_label,
        )  # fmt: skip
    if settings.signer_pkcs12 is not None:
        if settings.signer_pkcs12_passphrase is None:
            raise ConfigurationError(
                "MOTCUA_SIGNER_PKCS12 is set without MOTCUA_SIGNER_PKCS12_PASSPHRASE",
                hint="set the passphrase (it is never logged)",
            )
        passphrase = settings.signer_pkcs12_passphrase.get_secret_value().encode()
        return _pkcs12_key(settings.signer_pkcs12.absolute(), passphrase)
    from motcua.signing.pki import load_test_pki

    pki = load_test_pki(settings.pki_dir)
    return _pkcs12_key(pki.signer_pkcs12, pki.read_signer_passphrase())


def stamp_spec(settings: Settings, agency_name: str) -> StampSpec | None:
    """The visible stamp for documents of ``agency_name``, or ``None`` if stamps are off."""
    if not settings.stamp_enabled:
        return None
    return StampSpec(
        agency_name=agency_name,
        page=settings.stamp_page,
        box=settings.stamp_box,
        font=settings.stamp_font,
    )


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


def _embedded_tsa_url(settings: Settings) -> str:
    from motcua.signing.pki import load_test_pki, service_urls

    return service_urls(load_test_pki(settings.pki_dir)).tsa


@cache
def _pkcs12_key(path: Path, passphrase: bytes) -> Pkcs12Key:
    return Pkcs12Key.load(path, passphrase)


@cache
def _pkcs11_key(
    module: Path, pin: SecretStr, key_label: str, cert_label: str | None, token_label: str | None
) -> SigningKey:
    from motcua.signing.pkcs11 import Pkcs11Key  # python-pkcs11 loads only when a token is used

    return Pkcs11Key.open(
        module=module, pin=pin, key_label=key_label, cert_label=cert_label, token_label=token_label
    )


@cache
def _signer(key: SigningKey, tsa_url: str | None, roots: tuple[Path, ...]) -> AgencySigner:
    return AgencySigner(key=key, tsa_url=tsa_url, trust_roots_der=load_trust_roots(roots))
