"""The checks behind :func:`motcua.signing.verify.verify_pdf`, one signature at a time.

One :class:`Checker` per document: it holds the trust roots, the document's DSS and the OCSP/CRL
fetcher session, and turns pyHanko's statuses into :class:`~motcua.signing.report.SignatureReport`
objects (policy and wording of chain problems: :mod:`motcua.signing.revocation`).

Document timestamps (PAdES B-LTA archive timestamps) are checked first, each as of its own time,
from the DSS when it holds evidence about their TSA; their problems are reported on every
signature they protect. The PAdES level reported is read from what the file carries (see
:func:`detect_level`); the policy a signature is judged by follows the same reading, sub-filter
aside, so an Adobe-style signature with a DSS is judged like B-LT and reported as "not PAdES".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from .cms_info import as_utc, signature_timestamp_time, subject_name, token_time
from .evidence import EmbeddedEvidence
from .report import DetectedLevel, Problem, SignatureReport
from .revocation import (
    CheckPolicy,
    build_context,
    first_expiry,
    judge_chain,
    needs_second_opinion,
    policy_for,
)

PADES_SUBFILTER = "/ETSI.CAdES.detached"
MALFORMED = (PdfError, ValueError, KeyError)
"""What malformed PDF or CMS structures raise inside pyHanko and asn1crypto (pyHanko's own
validation errors are ValueErrors): reported as problems of the document, never propagated."""


@dataclass(frozen=True)
class Stamp:
    """A checked document timestamp (PAdES B-LTA archive timestamp)."""

    field_name: str
    revision: int
    time: datetime | None
    problems: tuple[Problem, ...]
    chain_expires: datetime | None


@dataclass(frozen=True)
class Checker:
    """Checks the signatures of one document (never shared between documents: the DSS is the
    document's, and each check makes its own validation context and fetchers)."""

    roots: list[x509.Certificate]
    others: list[x509.Certificate]
    dss: EmbeddedEvidence
    backend: AIOHttpFetcherBackend | None

    def _fetchers(self, policy: CheckPolicy):
        return None if policy.offline or self.backend is None else self.backend.get_fetchers()

    def _context(self, evidence: EmbeddedEvidence, policy: CheckPolicy, fetchers, relaxed=False):
        return build_context(
            trust_roots=self.roots, other_certs=self.others, evidence=evidence,
            policy=policy, fetchers=fetchers, relaxed=relaxed,
        )  # fmt: skip

    async def document_timestamp(self, ts: EmbeddedPdfSignature) -> Stamp:
        label = f"document timestamp {ts.field_name}"
        try:
            time = token_time(ts.signed_data)
            issuers = (*ts.other_embedded_certs, *self.dss.certs, *self.roots)
            offline = time is not None and self.dss.speaks_of(ts.signer_cert, issuers)
            policy = CheckPolicy(offline=True, moment=time) if offline else CheckPolicy(False)
            fetchers = self._fetchers(policy)
            status = await async_validate_pdf_timestamp(
                ts, validation_context=self._context(self.dss, policy, fetchers)
            )
            relaxed = None
            if needs_second_opinion(status):
                relaxed = await async_validate_pdf_timestamp(
                    ts, self._context(self.dss, policy, None, relaxed=True), skip_diff=True
                )
        except MALFORMED as exc:
            broken = Problem("archive_timestamp_broken", f"{label} cannot be read: {exc}")
            return Stamp(ts.field_name, ts.signed_revision, None, (broken,), None)
        problems = []
        if not (status.intact and status.valid):
            problems.append(Problem("archive_timestamp_broken", f"{label} is not intact"))
        judged = judge_chain(
            status, relaxed, whose=f"the TSA certificate of {label}", policy=policy,
            evidence=self.dss, fetchers=fetchers, prefix="archive_timestamp_",
        )  # fmt: skip
        if judged.problem is not None:
            problems.append(judged.problem)
        return Stamp(ts.field_name, ts.signed_revision, time, tuple(problems), first_expiry(status))

    async def signature(
        self, sig: EmbeddedPdfSignature, *, is_last: bool, stamps: list[Stamp]
    ) -> SignatureReport:
        later = [s for s in stamps if s.revision > sig.signed_revision]
        try:
            return await self._signature(sig, is_last=is_last, later=later)
        except MALFORMED as exc:
            return SignatureReport(
                field_name=sig.field_name, intact=False, valid=False, trusted=False,
                covers_entire_file=False, modified_after_signing=True, modification_level=None,
                level="not PAdES", signer_subject="", signing_time=None, timestamp_time=None,
                problems=(Problem("unreadable", f"signature cannot be read or checked: {exc}"),),
            )  # fmt: skip

    async def _signature(
        self, sig: EmbeddedPdfSignature, *, is_last: bool, later: list[Stamp]
    ) -> SignatureReport:
        evidence = self.dss.with_signed_attributes(sig)
        ts_time = signature_timestamp_time(sig.signer_info)
        basis = detect_level(sig, ts_time, evidence, self.roots, archive_stamps=bool(later))
        subfilter = sig.sig_object.get("/SubFilter")
        level: DetectedLevel = basis if subfilter == PADES_SUBFILTER else "not PAdES"
        policy = policy_for(basis, ts_time)
        fetchers = self._fetchers(policy)

        status = await async_validate_pdf_signature(
            sig, signer_validation_context=self._context(evidence, policy, fetchers)
        )
        ts_status = status.timestamp_validity
        relaxed = None
        if needs_second_opinion(status) or needs_second_opinion(ts_status):
            relaxed = await async_validate_pdf_signature(
                sig,
                signer_validation_context=self._context(evidence, policy, None, relaxed=True),
                skip_diff=True,
            )
        signer = judge_chain(
            status, relaxed, whose="the signer's certificate", policy=policy,
            evidence=evidence, fetchers=fetchers, timestamp_time=ts_time,
        )  # fmt: skip

        problems: list[Problem] = []
        if not status.intact:
            problems.append(
                Problem(
                    "digest_mismatch",
                    "the signed bytes were changed after signing (digest mismatch)",
                )
            )
        elif not status.valid:
            problems.append(
                Problem(
                    "bad_signature_value",
                    "the signature value does not verify with the signer's key",
                )
            )
        if signer.problem is not None:
            problems.append(signer.problem)

        timestamp_trusted = None
        if ts_status is not None:
            stamp = judge_chain(
                ts_status, relaxed.timestamp_validity if relaxed else None,
                whose="the signature timestamp's TSA certificate", policy=policy,
                evidence=evidence, fetchers=fetchers, prefix="timestamp_",
            )  # fmt: skip
            timestamp_trusted = ts_status.intact and ts_status.valid and stamp.trusted
            if not (ts_status.intact and ts_status.valid):
                problems.append(
                    Problem(
                        "timestamp_broken", "the signature timestamp does not match the signature"
                    )
                )
            elif stamp.problem is not None:
                problems.append(stamp.problem)
        for archive_stamp in later:
            problems.extend(archive_stamp.problems)
        if policy.offline:
            newest = (
                later[-1].chain_expires
                if later
                else (first_expiry(ts_status) if ts_status is not None else None)
            )
            now = datetime.now(UTC)
            if newest is not None and newest < now:
                problems.append(
                    Problem(
                        "timestamp_chain_expired",
                        f"the newest timestamp's TSA chain expired on {newest:%Y-%m-%d}: nothing "
                        "vouches any more for the evidence embedded before it (a new document "
                        "timestamp, PAdES B-LTA, was due before that date)",
                    )
                )

        mod_level = status.modification_level
        covers_all = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        modified = not covers_all and (
            mod_level is None or mod_level > ModificationLevel.LTA_UPDATES
        )
        if is_last and modified:
            problems.append(
                Problem(
                    "modified_after_signing",
                    "the signature does not cover the entire file: the document was modified "
                    f"after signing ({_level_name(mod_level)})",
                )
            )
        elif status.docmdp_ok is False:
            problems.append(
                Problem(
                    "disallowed_changes",
                    f"changes made after this signature are not allowed ({_level_name(mod_level)})",
                )
            )
        if level == "not PAdES":
            problems.append(Problem("not_pades", f"not a PAdES signature (sub-filter {subfilter})"))

        return SignatureReport(
            field_name=sig.field_name,
            intact=status.intact,
            valid=status.valid,
            trusted=signer.trusted,
            covers_entire_file=covers_all,
            modified_after_signing=modified,
            modification_level=_level_name(mod_level),
            level=level,
            signer_subject=subject_name(status.signing_cert),
            signing_time=as_utc(status.signer_reported_dt),
            timestamp_time=as_utc(ts_status.timestamp) if ts_status is not None else None,
            problems=tuple(problems),
            coverage=status.coverage.name.lower() if status.coverage else "unknown",
            docmdp_ok=status.docmdp_ok,
            timestamp_trusted=timestamp_trusted,
            archive_timestamps=tuple(s.time for s in later if s.time is not None),
            validation_time=as_utc(status.validation_time),
            revocation=signer.revocation,
            chain_problem=signer.problem,
            subfilter=str(subfilter) if subfilter is not None else None,
        )


def detect_level(
    sig: EmbeddedPdfSignature,
    ts_time: datetime | None,
    evidence: EmbeddedEvidence,
    roots: Sequence[x509.Certificate],
    *,
    archive_stamps: bool,
) -> DetectedLevel:
    """PAdES baseline level from what the file carries (not whether it is valid).

    B-T = signature timestamp; B-LT = B-T plus revocation evidence about *this* signer embedded
    (DSS or signed attribute: a DSS written for an earlier signature does not count);
    B-LTA = B-LT plus a document timestamp after the signature.
    """
    if ts_time is None:
        return "B-B"
    issuers = (*sig.other_embedded_certs, *evidence.certs, *roots)
    if not evidence.speaks_of(sig.signer_cert, issuers):
        return "B-T"
    return "B-LTA" if archive_stamps else "B-LT"


def _level_name(level: ModificationLevel | None) -> str | None:
    return None if level is None else level.name
