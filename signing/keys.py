"""Where the agency's key lives: the :class:`SigningKey` protocol and the PKCS#12 file key.

A PKCS#12 file is parsed once (pyHanko's ``SimpleSigner`` re-parses the key for every raw
signature, more than half of a B-B signature's cost); a USB token or HSM is
:class:`motcua.signing.pkcs11.Pkcs11Key`. :func:`sign_pdf` cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys import load_certs_from_pemder
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from motcua.errors import ConfigurationError

from .cms_info import subject_name

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SigningKey(Protocol):
    """Where the agency's private key lives. Both kinds look the same to :func:`sign_pdf`."""

    subject: str
    cert_der: bytes
    chain_der: tuple[bytes, ...]
    unavailable_errors: tuple[type[Exception], ...]
    """Errors that mean "the key store is unreachable right now" (→ ``SignPending``)."""

    def new_cms_signer(self) -> signers.Signer:
        """A pyHanko signer for the calling thread only."""
        ...


class _ParsedKeySigner(signers.SimpleSigner):
    """``SimpleSigner`` that signs with a key object parsed once, not once per signature."""

    def __init__(self, *, pyca_key: PrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._pyca_key
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algo)
        if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # PSS and the rest: pyHanko's path


@dataclass(frozen=True, eq=False)
class Pkcs12Key:
    """A key and certificate chain from a PKCS#12 file, parsed once (:meth:`load`)."""

    subject: str
    key: PrivateKey = field(repr=False)
    cert_der: bytes = field(repr=False)
    chain_der: tuple[bytes, ...] = field(repr=False)
    unavailable_errors: tuple[type[Exception], ...] = ()

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> Pkcs12Key:
        """Wrong path or passphrase → :class:`ConfigurationError`."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the signer's PKCS#12 file {path}: {exc.strerror}",
                hint="set MOTCUA_SIGNER_PKCS12 to a readable .p12/.pfx file",
            ) from exc
        try:
            key, cert, extra_certs = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError as exc:
            raise ConfigurationError(
                f"cannot open the signer's PKCS#12 file {path} (wrong passphrase or not PKCS#12)",
                hint="check MOTCUA_SIGNER_PKCS12_PASSPHRASE (or the test PKI's passphrase file)",
            ) from exc
        if key is None or cert is None:
            raise ConfigurationError(
                f"{path} holds no private key with its certificate",
                hint="export the signer's key together with its certificate chain",
            )
        if not isinstance(key, PrivateKey):
            raise ConfigurationError(
                f"{path}: unsupported key type {type(key).__name__}", hint="use an RSA or EC key"
            )
        cert_der = cert.public_bytes(serialization.Encoding.DER)
        return cls(
            subject=subject_name(asn1_x509.Certificate.load(cert_der)),
            key=key,
            cert_der=cert_der,
            chain_der=tuple(c.public_bytes(serialization.Encoding.DER) for c in extra_certs),
        )

    def new_cms_signer(self) -> signers.Signer:
        chain = SimpleCertificateStore()
        chain.register_multiple(asn1_x509.Certificate.load(der) for der in self.chain_der)
        pkcs8 = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return _ParsedKeySigner(
            pyca_key=self.key,
            signing_cert=asn1_x509.Certificate.load(self.cert_der),
            signing_key=keys.PrivateKeyInfo.load(pkcs8),
            cert_registry=chain,
        )


def revocation_urls(cert_der: bytes) -> tuple[str, ...]:
    """OCSP responders and CRL locations a certificate names (B-LT needs at least one)."""
    cert = asn1_x509.Certificate.load(cert_der)
    crls = [url for dp in cert.crl_distribution_points for url in [dp.url] if url]
    return (*cert.ocsp_urls, *crls)


def load_trust_roots(paths: Sequence[Path]) -> tuple[bytes, ...]:
    """DER of every certificate in the given PEM/DER files; unreadable → ConfigurationError."""
    try:
        return tuple(c.dump() for c in load_certs_from_pemder([str(p) for p in paths]))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot read the trust roots {', '.join(map(str, paths))}: {exc}",
            hint="fix MOTCUA_TRUST_ROOTS (PEM or DER certificate files)",
        ) from exc
