"""Verify the signatures embedded in a PDF, offline, and say in plain words what is wrong.

This is what ``motcua audit verify`` and the signing step's self-check rely on (DESIGN §3:
signature intact and covering the whole file, chain to a configured trust root, timestamp).
It never raises because of the document: a bad signature, a file that is not a PDF or a PDF
without signatures all come back as a :class:`VerificationReport` whose ``ok`` is ``False`` and
whose ``problems`` say why. Misconfiguration (no trust root, unreadable root file) is the
caller's fault and raises :class:`~motcua.errors.ConfigurationError`.

Validation is pyHanko's, offline: no OCSP/CRL fetching, revocation "soft-fail" (a B-B/B-T file
carries no revocation data; see platform-notes on what B-LT/B-LTA need). Like
:func:`motcua.signing.pades.sign_pdf`, :func:`verify_pdf` runs its own event loop: call it from a
plain thread, or through ``asyncio.to_thread`` from async code.

Rules beyond pyHanko's own judgement (``intact``/``valid``/``trusted``):

- The **last** signature must cover the entire file, except for PAdES long-term updates (DSS,
  document timestamps) appended after it: anything else appended after signing means the
  archived bytes are not the signed bytes.
- Earlier signatures may be followed by later signatures (form filling); pyHanko's difference
  analysis decides whether what was appended after each of them is allowed (``docmdp_ok``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Literal

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext

from motcua.errors import ConfigurationError

from .cms_info import as_utc, signature_timestamp_time, subject_name

DetectedLevel = Literal["B-B", "B-T", "B-LT", "B-LTA", "not PAdES"]
PADES_SUBFILTER = "/ETSI.CAdES.detached"

# What malformed PDF or CMS structures raise inside pyHanko and asn1crypto: reported as
# problems of the document, never propagated.
_MALFORMED = (PdfError, ValueError, KeyError)


@dataclass(frozen=True)
class SignatureReport:
    """One embedded signature, as judged offline against the given trust roots."""

    field_name: str
    intact: bool
    """The signed byte ranges hash to the digest the signature covers."""
    valid: bool
    """The signature value verifies with the signer's public key."""
    trusted: bool
    """The signer's certificate chains to one of the trust roots (and was not revoked)."""
    covers_entire_file: bool
    modified_after_signing: bool
    """Revisions other than PAdES long-term updates (DSS, document timestamps) follow it."""
    modification_level: str | None
    level: DetectedLevel
    signer_subject: str
    signing_time: datetime | None
    """Claimed by the signer (not proof of anything), UTC."""
    timestamp_time: datetime | None
    """From the RFC 3161 signature timestamp, UTC; ``None`` at B-B."""
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class VerificationReport:
    signatures: tuple[SignatureReport, ...]
    document_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem, those of a signature prefixed with its field name."""
        per_signature = (f"{s.field_name}: {p}" for s in self.signatures for p in s.problems)
        return (*self.document_problems, *per_signature)


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | Path],
    other_certs: Iterable[x509.Certificate | Path] = (),
) -> VerificationReport:
    """Verify every signature (and document timestamp) in ``data``; never raises for a bad file."""
    roots = _load_certs(trust_roots)
    if not roots:
        raise ConfigurationError(
            "no trust root given: nothing could ever be trusted",
            hint="set MOTCUA_TRUST_ROOTS (the embedded stack uses its test PKI's root)",
        )
    context = ValidationContext(
        trust_roots=roots,
        other_certs=_load_certs(other_certs),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    if _event_loop_running():
        raise RuntimeError(
            "verify_pdf starts its own event loop; inside a running loop call it through "
            "asyncio.to_thread(verify_pdf, ...)"
        )
    return asyncio.run(_verify(data, context))


def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _verify(data: bytes, context: ValidationContext) -> VerificationReport:
    try:
        reader = PdfFileReader(BytesIO(data))
    except _MALFORMED as exc:
        return VerificationReport((), (f"not a readable PDF: {exc}",))
    try:
        embedded = list(reader.embedded_signatures)
    except _MALFORMED as exc:
        return VerificationReport((), (f"the signature fields cannot be read: {exc}",))
    regular = [s for s in embedded if s.sig_object_type == "/Sig"]
    doc_timestamps = [s for s in embedded if s.sig_object_type == "/DocTimeStamp"]
    if not regular:
        return VerificationReport((), ("the document carries no signature",))

    document_problems = [p for ts in doc_timestamps for p in await _check_doc_ts(ts, context)]
    has_dss = "/DSS" in reader.root
    reports = []
    for index, sig in enumerate(regular):
        is_last = index == len(regular) - 1
        later_doc_ts = any(ts.signed_revision > sig.signed_revision for ts in doc_timestamps)
        reports.append(await _check_signature(sig, context, is_last, has_dss, later_doc_ts))
    return VerificationReport(tuple(reports), tuple(document_problems))


async def _check_signature(
    sig: EmbeddedPdfSignature,
    context: ValidationContext,
    is_last: bool,
    has_dss: bool,
    later_doc_ts: bool,
) -> SignatureReport:
    name = sig.field_name
    try:
        status = await async_validate_pdf_signature(sig, signer_validation_context=context)
    except _MALFORMED as exc:
        return SignatureReport(
            field_name=name, intact=False, valid=False, trusted=False,
            covers_entire_file=False, modified_after_signing=True, modification_level=None,
            level="not PAdES", signer_subject="", signing_time=None, timestamp_time=None,
            problems=(f"signature cannot be read or checked: {exc}",),
        )  # fmt: skip

    ts_status = status.timestamp_validity
    mod_level = status.modification_level
    covers_all = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    modified = not covers_all and (mod_level is None or mod_level > ModificationLevel.LTA_UPDATES)
    level = _detect_level(sig, has_dss=has_dss, later_doc_ts=later_doc_ts)

    problems = []
    if not status.intact:
        problems.append("the signed bytes were changed after signing (digest mismatch)")
    if not status.valid:
        problems.append("the signature value does not verify with the signer's key")
    if status.revoked:
        problems.append("the signer's certificate is revoked")
    elif not status.trusted:
        indic = status.trust_problem_indic
        why = indic.standard_name if indic is not None else "no valid path"
        problems.append(f"the signer's certificate does not chain to a trust root ({why})")
    if ts_status is not None and not (ts_status.intact and ts_status.valid and ts_status.trusted):
        problems.append("the signature timestamp is not valid or not from a trusted TSA")
    if is_last and modified:
        problems.append(
            "the signature does not cover the entire file: the document was modified after "
            f"signing ({_level_name(mod_level)})"
        )
    elif status.docmdp_ok is False:
        problems.append(
            f"changes made after this signature are not allowed ({_level_name(mod_level)})"
        )
    if level == "not PAdES":
        problems.append(f"not a PAdES signature (sub-filter {sig.sig_object.get('/SubFilter')})")

    return SignatureReport(
        field_name=name,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        covers_entire_file=covers_all,
        modified_after_signing=modified,
        modification_level=_level_name(mod_level),
        level=level,
        signer_subject=subject_name(status.signing_cert),
        signing_time=as_utc(status.signer_reported_dt),
        timestamp_time=as_utc(ts_status.timestamp) if ts_status is not None else None,
        problems=tuple(problems),
    )


async def _check_doc_ts(ts: EmbeddedPdfSignature, context: ValidationContext) -> list[str]:
    label = f"document timestamp {ts.field_name}"
    try:
        status = await async_validate_pdf_timestamp(ts, validation_context=context)
    except _MALFORMED as exc:
        return [f"{label} cannot be read or checked: {exc}"]
    if status.intact and status.valid and status.trusted:
        return []
    return [f"{label} is not intact, not valid or not from a trusted TSA"]


def _detect_level(sig: EmbeddedPdfSignature, *, has_dss: bool, later_doc_ts: bool) -> DetectedLevel:
    """PAdES baseline level from what the file carries (not whether it is valid).

    B-T = signature timestamp; B-LT = B-T plus a DSS; B-LTA = B-LT plus a later document
    timestamp. Approximate for B-LT: the DSS is not checked to hold this signer's data.
    """
    if sig.sig_object.get("/SubFilter") != PADES_SUBFILTER:
        return "not PAdES"
    if signature_timestamp_time(sig.signer_info) is None:
        return "B-B"
    if not has_dss:
        return "B-T"
    return "B-LTA" if later_doc_ts else "B-LT"


def _level_name(level: ModificationLevel | None) -> str | None:
    return None if level is None else level.name


def _load_certs(items: Iterable[x509.Certificate | Path]) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for item in items:
        if isinstance(item, x509.Certificate):
            # a private copy: asn1crypto objects parse lazily and are not thread-safe
            certs.append(x509.Certificate.load(item.dump()))
            continue
        try:
            certs.extend(load_certs_from_pemder([str(item)]))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot read certificate file {item}: {exc}",
                hint="give PEM or DER certificate files",
            ) from exc
    return certs
