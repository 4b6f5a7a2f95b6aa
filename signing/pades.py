"""Sign a PDF as PAdES (ETSI EN 319 142) with the agency's key: level B-B or B-T.

Three separate, frozen things, as in pyHanko:

- :class:`SignatureSpec` — *what and how*: level, reason, location (PAdES sub-filter, SHA-256).
- :class:`AgencySigner` — *where the key lives*: built once from a PKCS#12 file. It holds the
  parsed private key (pyHanko's ``SimpleSigner`` re-parses it for every raw signature, more than
  half of a B-B signature's cost) and makes one RFC 3161 client per worker thread, never one per
  document (a new client per document costs an extra TSA round trip to size the signature).
- :func:`sign_pdf` — one document in, one signed document out, with a :class:`SignResult`.

Threads and event loops: :func:`sign_pdf` is synchronous and runs pyHanko's sync API, which
starts its own event loop (``asyncio.run``). Call it from a plain thread — the main thread, a
``ThreadPoolExecutor`` worker, a Prefect task running in a worker thread — but never from inside
a running event loop (an ``async def`` flow or task): there, use ``await asyncio.to_thread(
sign_pdf, ...)``. Calling it inside a loop raises ``RuntimeError`` before any work is done. One
:class:`AgencySigner` may be shared by several threads.

Level B-T never degrades silently: if the TSA cannot be reached the document is not signed and
:class:`~motcua.errors.SignPending` is raised (DESIGN §3: it waits in ``sign_pending``).
A PDF that already carries signatures gets the new one as an incremental update, so the earlier
signatures stay intact.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from motcua.errors import ConfigurationError, CorruptInput, EncryptedInput, SignPending
from motcua.settings import SignatureLevel

from .cms_info import as_utc, signature_timestamp_time, subject_name

LEVELS: tuple[SignatureLevel, ...] = ("B-B", "B-T")
DIGEST = "sha256"
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SignatureSpec:
    """What to sign and how: the PAdES level and the human-readable signature entries."""

    level: SignatureLevel
    reason: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ConfigurationError(
                f"unsupported signature level {self.level!r}", hint=f"use one of {LEVELS}"
            )

    def metadata(self, field_name: str) -> signers.PdfSignatureMetadata:
        return signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=self.reason,
            location=self.location,
        )


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


class _ThreadTools(NamedTuple):
    cms_signer: signers.SimpleSigner
    timestamper: HTTPTimeStamper | None


@dataclass(frozen=True)
class AgencySigner:
    """The agency's signing key and certificate chain, and where its TSA is.

    The private key is parsed once, in :meth:`from_pkcs12`. pyHanko's signer and TSA client
    objects are made once *per thread* from it, lazily: they hold asn1crypto objects, which parse
    lazily and are not safe to share between threads (seen: concurrent signings with one shared
    ``SimpleSigner`` produced CMS whose certificate chain could not be built). So the TSA client,
    with its cached size-estimation token, lives once per worker thread, not once per document.
    """

    subject: str
    tsa_url: str | None
    tsa_timeout_seconds: float
    key: PrivateKey = field(repr=False)
    cert_der: bytes = field(repr=False)
    chain_der: tuple[bytes, ...] = field(repr=False)
    _per_thread: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )

    @classmethod
    def from_pkcs12(
        cls,
        path: Path,
        passphrase: bytes,
        *,
        tsa_url: str | None,
        tsa_timeout_seconds: float = 10.0,
    ) -> AgencySigner:
        """Parse the PKCS#12 file once. Wrong path or passphrase → :class:`ConfigurationError`."""
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
            tsa_url=tsa_url,
            tsa_timeout_seconds=tsa_timeout_seconds,
            key=key,
            cert_der=cert_der,
            chain_der=tuple(c.public_bytes(serialization.Encoding.DER) for c in extra_certs),
        )

    def thread_tools(self) -> _ThreadTools:
        """This thread's pyHanko signer and TSA client (made on first use in the thread)."""
        tools: _ThreadTools | None = getattr(self._per_thread, "tools", None)
        if tools is None:
            chain = SimpleCertificateStore()
            chain.register_multiple(asn1_x509.Certificate.load(der) for der in self.chain_der)
            signing_key = keys.PrivateKeyInfo.load(
                self.key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            cms_signer = _ParsedKeySigner(
                pyca_key=self.key,
                signing_cert=asn1_x509.Certificate.load(self.cert_der),
                signing_key=signing_key,
                cert_registry=chain,
            )
            timestamper = (
                HTTPTimeStamper(self.tsa_url, timeout=self.tsa_timeout_seconds)
                if self.tsa_url is not None
                else None
            )
            tools = _ThreadTools(cms_signer, timestamper)
            self._per_thread.tools = tools
        return tools


@dataclass(frozen=True)
class SignResult:
    """What :func:`sign_pdf` wrote, read back from the signed output."""

    path: Path
    level: SignatureLevel
    signer_subject: str
    signing_time: datetime
    """Signing time claimed by the signer (CMS signingTime), UTC."""
    timestamp_time: datetime | None
    """TSA's genTime for B-T, UTC; ``None`` for B-B."""
    sha256: str
    size_bytes: int


def sign_pdf(
    src: Path,
    dst: Path,
    signer: AgencySigner,
    *,
    level: SignatureLevel,
    reason: str | None = None,
    location: str | None = None,
) -> SignResult:
    """Sign ``src`` into ``dst`` (written atomically; ``src`` may equal ``dst``).

    Raises :class:`ConfigurationError` (B-T without a TSA URL), :class:`SignPending` (TSA
    unreachable or refusing), :class:`CorruptInput` / :class:`EncryptedInput` (input pyHanko
    cannot sign). Nothing is written to ``dst`` unless signing succeeded.
    """
    _refuse_running_loop()
    spec = SignatureSpec(level=level, reason=reason, location=location)
    if spec.level == "B-T" and signer.tsa_url is None:
        raise ConfigurationError(
            "signature level B-T needs a time-stamping authority, and none is configured",
            hint="set MOTCUA_TSA_URL, or MOTCUA_SIGNATURE_LEVEL=B-B to sign without a timestamp",
        )
    data = Path(src).read_bytes()
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data))
    except PdfReadError as exc:
        raise CorruptInput(
            f"{Path(src).name} is not a PDF that can be signed: {exc}",
            hint="re-create the PDF (the scan step's output signs fine); "
            "Pillow-written PDFs are refused",
        ) from exc
    if writer.prev.encrypted:
        raise EncryptedInput(
            f"{Path(src).name} is encrypted", hint="ask the submitter for an unencrypted copy"
        )
    tools = signer.thread_tools()
    try:
        output = signers.sign_pdf(
            writer,
            spec.metadata(_new_field_name(writer)),
            signer=tools.cms_signer,
            timestamper=tools.timestamper if spec.level == "B-T" else None,
        )
    except TimestampRequestError as exc:
        raise _pending(signer, exc) from exc
    except PdfReadError as exc:
        raise CorruptInput(f"{Path(src).name} cannot be signed: {exc}") from exc
    signed = output.getvalue()
    result = _describe(signed, Path(dst), signer)
    if result.level != spec.level:  # a pyHanko change, never a document's fault: fail loudly
        raise RuntimeError(f"asked for PAdES {spec.level}, pyHanko produced {result.level}")
    _write_atomically(Path(dst), signed)
    return result


def _new_field_name(writer: IncrementalPdfFileWriter) -> str:
    """A signature field name not yet used in the document (earlier signatures keep theirs)."""
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    n = 1
    while f"motcua_signature_{n}" in taken:
        n += 1
    return f"motcua_signature_{n}"


def _refuse_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "sign_pdf is synchronous and starts its own event loop; inside a running loop call it "
        "through asyncio.to_thread(sign_pdf, ...)"
    )


def _pending(signer: AgencySigner, exc: BaseException) -> SignPending:
    return SignPending(
        f"the time-stamping authority at {signer.tsa_url} did not answer: {exc}",
        hint="the document waits in sign_pending and is retried; check that the TSA is up",
    )


def _describe(signed: bytes, dst: Path, signer: AgencySigner) -> SignResult:
    """Read the new (last) signature back: the level reported is the level produced."""
    newest = PdfFileReader(BytesIO(signed)).embedded_signatures[-1]
    ts_time = signature_timestamp_time(newest.signer_info)
    signing_time = as_utc(newest.self_reported_timestamp)
    assert signing_time is not None  # pyHanko always writes signingTime
    return SignResult(
        path=dst,
        level="B-T" if ts_time is not None else "B-B",
        signer_subject=signer.subject,
        signing_time=signing_time,
        timestamp_time=ts_time,
        sha256=hashlib.sha256(signed).hexdigest(),
        size_bytes=len(signed),
    )


def _write_atomically(dst: Path, data: bytes) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
