"""Sign a PDF as PAdES (ETSI EN 319 142) with the agency's key: level B-B, B-T, B-LT or B-LTA.

Separate, frozen things, as in pyHanko:

- :class:`SignatureSpec` — *what and how*: level, reason, location (PAdES sub-filter, SHA-256).
- A :class:`~motcua.signing.keys.SigningKey` — *where the key lives*: a PKCS#12 file
  (:class:`~motcua.signing.keys.Pkcs12Key`, parsed once: pyHanko's ``SimpleSigner`` re-parses the key for every raw signature, more than half of a B-B signature's
  cost) or :class:`motcua.signing.pkcs11.Pkcs11Key` (a USB token or HSM).
- :class:`~motcua.signing.agency.AgencySigner` — the key plus the services a level needs: the TSA (B-T and up) and the
  trust roots that revocation information is fetched against (B-LT and up).
- :class:`~motcua.signing.stamp.StampSpec` — the optional visible stamp.
- :func:`sign_pdf` — one document in, one signed document out, with a :class:`SignResult` whose
  level is read back from the output.

Levels: B-T adds an RFC 3161 signature timestamp; B-LT adds the OCSP responses and CRLs of the
signer's chain and the TSA's to the document security store (DSS); B-LTA adds a document
timestamp over all of it (what an archive verified years later needs: platform-notes). A level
is never degraded: a TSA or OCSP/CRL server that cannot be reached raises
:class:`~motcua.errors.SignPending` (DESIGN §3: the document waits in ``sign_pending``).

Cost: ``/Contents`` is sized from the level's earlier signatures, not by a dummy signature per
document (:mod:`motcua.signing.sizing`); the stamp's font is cut per agency
(:mod:`motcua.signing.stamp`).

Threads and event loops: :func:`sign_pdf` is synchronous and runs pyHanko's sync API, which
starts its own event loop. Call it from a plain thread, never from inside a running loop (there,
``await asyncio.to_thread(sign_pdf, ...)``); inside a loop it raises ``RuntimeError`` before any
work. One :class:`~motcua.signing.agency.AgencySigner` may be shared by threads (it keeps
pyHanko's objects per thread; see :mod:`motcua.signing.agency`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError

from motcua.errors import ConfigurationError, CorruptInput, EncryptedInput, SignPending
from motcua.settings import SignatureLevel

from .agency import AgencySigner
from .failures import redact, refuse_running_loop, translate_validation_failure
from .levels import read_level
from .sizing import ReservationMayBeTooSmall, measured_size, sign_sized
from .stamp import StampSpec, place_stamp

LEVELS: tuple[SignatureLevel, ...] = ("B-B", "B-T", "B-LT", "B-LTA")
NEEDS_TSA = frozenset({"B-T", "B-LT", "B-LTA"})
NEEDS_REVOCATION = frozenset({"B-LT", "B-LTA"})
DIGEST = "sha256"


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

    def metadata(
        self, field_name: str, context: ValidationContext | None
    ) -> signers.PdfSignatureMetadata:
        long_term = self.level in NEEDS_REVOCATION
        return signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=self.reason,
            location=self.location,
            embed_validation_info=long_term,
            use_pades_lta=self.level == "B-LTA",
            validation_context=context if long_term else None,
        )


@dataclass(frozen=True)
class SignResult:
    """What :func:`sign_pdf` wrote, read back from the signed output."""

    path: Path
    level: SignatureLevel
    signer_subject: str
    signing_time: datetime
    """Signing time claimed by the signer (CMS signingTime), UTC; the stamp shows it."""
    timestamp_time: datetime | None
    """TSA's genTime of the signature timestamp, UTC; ``None`` for B-B."""
    sha256: str
    size_bytes: int
    field_name: str = ""


def sign_pdf(
    src: Path,
    dst: Path,
    signer: AgencySigner,
    *,
    level: SignatureLevel,
    reason: str | None = None,
    location: str | None = None,
    stamp: StampSpec | None = None,
) -> SignResult:
    """Sign ``src`` into ``dst`` (written atomically; ``src`` may equal ``dst``).

    Raises :class:`ConfigurationError` (a level the signer's services cannot produce, a stamp
    that does not fit the document, a revoked or untrusted signer certificate),
    :class:`SignPending` (TSA, OCSP/CRL server or token unreachable), :class:`CorruptInput` /
    :class:`EncryptedInput` (input pyHanko cannot sign). Nothing is written to ``dst`` unless
    signing succeeded at exactly ``level``.
    """
    refuse_running_loop()
    spec = SignatureSpec(level=level, reason=reason, location=location)
    _check_services(spec.level, signer)
    data = Path(src).read_bytes()
    context = signer.validation_context() if spec.level in NEEDS_REVOCATION else None
    try:
        signed, field_name = _sign_sized(data, Path(src).name, spec, signer, stamp, context)
    except _SharedRevinfoNotEnough:
        # The OCSP responses/CRLs another document fetched did not do for this one (one
        # expired early, the chain changed): fetch afresh, as the first document did.
        context = signer.validation_context(fetch=True)
        signed, field_name = _sign_sized(data, Path(src).name, spec, signer, stamp, context)
    if context is not None:
        signer.share_revinfo(context)
    reader = PdfFileReader(BytesIO(signed))
    result = _describe(reader, signed, Path(dst), signer, field_name)
    if result.level != spec.level:  # a pyHanko change, never a document's fault: fail loudly
        raise RuntimeError(f"asked for PAdES {spec.level}, pyHanko produced {result.level}")
    signer.note_cms_size(spec.level, measured_size(reader, field_name))
    _write_atomically(Path(dst), signed)
    return result


class _SharedRevinfoNotEnough(Exception):
    """Validation with the shared revocation information alone (no fetching) failed."""


def _sign_sized(
    data: bytes, name: str, spec: SignatureSpec, signer: AgencySigner,
    stamp: StampSpec | None, context: ValidationContext | None,
) -> tuple[bytes, str]:
    """:func:`_sign` with ``/Contents`` sized from the level's earlier signatures, or by pyHanko
    when that may not have fitted (:func:`motcua.signing.sizing.sign_sized`)."""
    return sign_sized(lambda reserved: _sign(data, name, spec, signer, stamp, context, reserved),
                      signer.cms_size(spec.level), name)


def _sign(
    data: bytes, name: str, spec: SignatureSpec, signer: AgencySigner,
    stamp: StampSpec | None, context: ValidationContext | None, bytes_reserved: int | None,
) -> tuple[bytes, str]:
    """One signing attempt on a fresh writer: (signed bytes, the new field's name).
    ``bytes_reserved=None`` lets pyHanko size ``/Contents`` with a dummy signature."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data))
    except PdfReadError as exc:
        raise CorruptInput(
            f"{name} is not a PDF that can be signed: {exc}",
            hint="re-create the PDF (the scan step's output signs fine); "
            "Pillow-written PDFs are refused",
        ) from exc
    if writer.prev.encrypted:
        raise EncryptedInput(f"{name} is encrypted",
                             hint="ask the submitter for an unencrypted copy")
    field_name = _new_field_name(writer)
    placed = place_stamp(writer, field_name, stamp) if stamp is not None else None
    _keep_pdfa_producer_consistent(writer)
    try:
        tools = signer.thread_tools()  # a token's key handle is looked up here, once a thread
        pdf_signer = signers.PdfSigner(
            spec.metadata(field_name, context),
            tools.cms_signer,
            timestamper=signer.timestamper if spec.level in NEEDS_TSA else None,
            stamp_style=placed.style if placed is not None else None,
            new_field_spec=placed.field_spec if placed is not None else None,
        )
        output = pdf_signer.sign_pdf(
            writer, bytes_reserved=bytes_reserved,
            appearance_text_params=placed.text_params if placed is not None else None,
        )  # fmt: skip
    except TimestampRequestError as exc:
        raise SignPending(
            f"the time-stamping authority at {redact(signer.tsa_url)} did not answer: "
            f"{redact(str(exc))}",
            hint="the document waits in sign_pending and is retried; check that the TSA is up",
        ) from exc
    except (SigningError, PathError, ValidationError) as exc:
        if bytes_reserved is not None and _not_about_certificates(exc):
            raise ReservationMayBeTooSmall from exc
        signer.forget_validation_context()
        if context is not None and not context.fetching_allowed:
            raise _SharedRevinfoNotEnough from exc
        translated = translate_validation_failure(exc)
        if translated is None:
            raise
        raise translated from exc
    except signer.key.unavailable_errors as exc:
        raise SignPending(
            f"the signing key is unreachable: {type(exc).__name__}",
            hint="the document waits in sign_pending; check that the token or HSM is connected",
        ) from exc
    except PdfReadError as exc:
        raise CorruptInput(f"{name} cannot be signed: {exc}") from exc
    return output.getvalue(), field_name


def _not_about_certificates(exc: BaseException) -> bool:
    """pyHanko says "does not fit" only as a plain ``SigningError`` (from
    ``PreparedByteRangeDigest.fill_reserved_region``); one about a certificate is told apart by
    its cause and never tried again."""
    return isinstance(exc, SigningError) and translate_validation_failure(exc) is None


def _check_services(level: SignatureLevel, signer: AgencySigner) -> None:
    if level in NEEDS_TSA and signer.tsa_url is None:
        raise ConfigurationError(
            f"signature level {level} needs a time-stamping authority, and none is configured",
            hint="set MOTCUA_TSA_URL, or MOTCUA_SIGNATURE_LEVEL=B-B to sign without a timestamp",
        )
    if level in NEEDS_REVOCATION and not signer.trust_roots_der:
        raise ConfigurationError(
            f"signature level {level} needs trust roots to check revocation information against",
            hint="set MOTCUA_TRUST_ROOTS, or MOTCUA_SIGNATURE_LEVEL=B-T",
        )
    if level in NEEDS_REVOCATION and not signer.revocation_urls:
        raise ConfigurationError(
            f"signature level {level} needs revocation information, and the signer's "
            "certificate names no OCSP responder or CRL",
            hint="use a certificate from a CA that publishes OCSP/CRLs, "
            "or MOTCUA_SIGNATURE_LEVEL=B-T",
        )


def _keep_pdfa_producer_consistent(writer: IncrementalPdfFileWriter) -> None:
    """PDF/A needs the Info dictionary and the XMP metadata to agree. pyHanko writes its own
    name as XMP ``pdf:Producer`` but *appends* it to the Info ``/Producer``; an Info producer
    that already names pyHanko is kept as is. So, in a PDF/A file, say pyHanko in both."""
    root = writer.root
    if "/Metadata" not in root:
        return
    try:
        info = writer.trailer["/Info"]
    except KeyError:
        return
    # root["/Metadata"], not root.get(): only item access reads it as the XMP stream pyHanko
    # updates later; .get() would cache a plain stream and pyHanko would write a new, empty XMP
    if "/Producer" not in info or b"pdfaid" not in root["/Metadata"].data:
        return
    info["/Producer"] = generic.TextStringObject(VENDOR)
    writer.update_container(info)


def _new_field_name(writer: IncrementalPdfFileWriter) -> str:
    """A signature field name not yet used in the document (earlier signatures keep theirs)."""
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    n = 1
    while f"motcua_signature_{n}" in taken:
        n += 1
    return f"motcua_signature_{n}"


def _describe(
    reader: PdfFileReader, signed: bytes, dst: Path, signer: AgencySigner, field_name: str
) -> SignResult:
    """Read the new signature back: the level reported is the level the file carries."""
    found = read_level(reader, field_name, signer.key.cert_der)
    return SignResult(
        path=dst,
        level=found.level,
        signer_subject=signer.subject,
        signing_time=found.signing_time,
        timestamp_time=found.timestamp_time,
        sha256=hashlib.sha256(signed).hexdigest(),
        size_bytes=len(signed),
        field_name=field_name,
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
