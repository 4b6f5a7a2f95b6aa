"""Which evidence a signature's chain is judged with, when, and what pyHanko's answer means.

pyHanko's default validation is soft-fail and ignores the document's DSS (platform-notes,
"Signing"), so :mod:`motcua.signing.verify` builds its own validation contexts here, one policy
per PAdES level (docs/archive.md, "Verifying"):

- **B-LT, B-LTA: offline, as of the signature timestamp.** Only the evidence the file carries
  (its DSS, and the signed ``adbe-revocationInfoArchival`` attribute) is used; no request leaves
  the machine. Revocation information is *required* for every certificate below the trust root.
  The chain is judged at the time the signature timestamp proves the signature existed, so the
  verdict does not change when the embedded OCSP responses age. Evidence issued a little after
  that time is accepted (``retroactive_revinfo``): revocation is permanent, so a certificate
  good later was good then (certificate holds, which are reversible, are not supported).
- **B-B, B-T: online, as of now.** These files carry no evidence, so OCSP/CRL are fetched from
  the URLs in the certificates, revocation again *required* ("hard" rather than soft-fail): an
  auditor must not call valid what could not be checked. But an unreachable responder is not a
  revoked certificate: that outcome is *indeterminate* (code ``revocation_unavailable``).

pyHanko folds "no revocation information" and several other chain failures into one AdES
sub-indication (CERTIFICATE_CHAIN_GENERAL_FAILURE); when it answers that, the signature is checked
a second time with revocation checking relaxed: if the chain holds then, revocation was the
(only) problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation.status import SignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import Fetchers

from .cms_info import as_utc, subject_name
from .evidence import EmbeddedEvidence
from .report import Problem, RevocationReport

_OUT_OF_VALIDITY = frozenset(
    {AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED}
)
_AMBIGUOUS = frozenset(
    {AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE, AdESIndeterminate.TRY_LATER}
)


@dataclass(frozen=True)
class CheckPolicy:
    """How a chain is judged: offline as of ``moment``, or online as of now (``moment`` None)."""

    offline: bool
    moment: datetime | None = None


def policy_for(level: str, timestamp_time: datetime | None) -> CheckPolicy:
    """B-LT/B-LTA (``level`` as detected, ignoring the sub-filter): offline at the signature
    timestamp; anything else: online, now."""
    if level in ("B-LT", "B-LTA") and timestamp_time is not None:
        return CheckPolicy(offline=True, moment=timestamp_time)
    return CheckPolicy(offline=False)


def build_context(
    *,
    trust_roots: Sequence[x509.Certificate],
    other_certs: Sequence[x509.Certificate],
    evidence: EmbeddedEvidence,
    policy: CheckPolicy,
    fetchers: Fetchers | None,
    relaxed: bool = False,
) -> ValidationContext:
    """A fresh context for one check (contexts cache what they learn: never share them).

    ``relaxed`` is the second opinion: revocation soft-fail, nothing fetched.
    """
    fetch = not policy.offline and fetchers is not None and not relaxed
    return ValidationContext(
        trust_roots=list(trust_roots),
        other_certs=[*other_certs, *evidence.certs],
        ocsps=list(evidence.ocsps),
        crls=list(evidence.crls),
        moment=policy.moment,
        retroactive_revinfo=policy.offline,
        allow_fetching=fetch,
        fetchers=fetchers if fetch else None,
        revocation_mode="soft-fail" if relaxed else "require",
    )


def needs_second_opinion(status: SignatureStatus | None) -> bool:
    return (
        status is not None
        and status.intact
        and status.valid
        and not status.trusted
        and not status.revoked
        and status.trust_problem_indic in _AMBIGUOUS
    )


@dataclass(frozen=True)
class ChainJudgement:
    trusted: bool
    problem: Problem | None
    revocation: RevocationReport


def judge_chain(
    status: SignatureStatus,
    relaxed: SignatureStatus | None,
    *,
    whose: str,
    policy: CheckPolicy,
    evidence: EmbeddedEvidence,
    fetchers: Fetchers | None,
    prefix: str = "",
    timestamp_time: datetime | None = None,
) -> ChainJudgement:
    """Turn a pyHanko status (and the relaxed second opinion, if one was taken) into a trust
    verdict, a revocation report and at most one problem. ``whose`` names the certificate in
    messages ("the signer's certificate"); ``prefix`` prefixes problem codes (``timestamp_``)."""
    fetched_ocsp = len(list(fetchers.ocsp_fetcher.fetched_responses())) if fetchers else 0
    fetched_crl = len(list(fetchers.crl_fetcher.fetched_crls())) if fetchers else 0

    def revocation(state: str, **details: object) -> RevocationReport:
        embedded = len(evidence.ocsps) + len(evidence.crls)
        source = "fetched" if fetched_ocsp + fetched_crl else "embedded" if embedded else "none"
        if state == "not checked":
            source = "none"  # whatever the file carries, nothing was consulted
        return RevocationReport(
            status=state,  # type: ignore[arg-type]
            source=source,  # type: ignore[arg-type]
            embedded_ocsp=len(evidence.ocsps),
            embedded_crl=len(evidence.crls),
            fetched_ocsp=fetched_ocsp,
            fetched_crl=fetched_crl,
            **details,  # type: ignore[arg-type]
        )

    def fail(code: str, message: str, state: str = "not checked", **details: object):
        problem = Problem(prefix + code if code != "revocation_unavailable" else code, message)
        return ChainJudgement(False, problem, revocation(state, **details))

    if not (status.intact and status.valid):
        return ChainJudgement(False, None, revocation("not checked"))  # reported as broken
    if status.trusted:
        return ChainJudgement(True, None, revocation("good"))
    when = _when(status.validation_time)
    indic = status.trust_problem_indic
    if status.revoked:
        details = status.revocation_details
        assert details is not None
        reason = details.revocation_reason.native if details.revocation_reason else None
        who = "a CA certificate of the chain of " + whose if details.ca_revoked else whose
        relation = ""
        if timestamp_time is not None:
            before = details.revocation_date <= timestamp_time
            relation = (
                f", {'before' if before else 'after'} the signature timestamp "
                f"({_when(timestamp_time)})"
            )
        return fail(
            "revoked",
            f"{who} is revoked since {_when(details.revocation_date)}"
            f"{f' ({reason})' if reason else ''}{relation}, checked as of {when}",
            "revoked",
            revoked_at=as_utc(details.revocation_date),
            reason=reason,
            ca_revoked=details.ca_revoked,
        )
    if indic in _OUT_OF_VALIDITY:
        return fail(*_validity_problem(status.signing_cert, status, whose))
    if indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        return fail("untrusted", f"{whose} does not chain to a trust root ({indic.name})")
    if indic in _AMBIGUOUS and relaxed is not None and relaxed.trusted:
        if policy.offline:
            return fail(
                "revocation_unknown",
                f"the evidence embedded in the file does not establish the revocation status "
                f"of {whose} and its chain as of {when} (B-LT/B-LTA are checked offline)",
                "unknown",
            )
        if fetchers is None:
            return fail(
                "revocation_unavailable",
                f"the revocation status of {whose} was not checked: the file embeds no evidence "
                "and fetching OCSP/CRL was turned off",
                "unknown",
            )
        return fail(
            "revocation_unavailable",
            f"the revocation status of {whose} and its chain could not be obtained from the "
            f"OCSP/CRL services named in the certificates (as of {when}); try again later",
            "unknown",
        )
    expired = _expired_in_path(relaxed or status)
    if expired is not None:
        return fail("expired", expired)
    name = indic.name if indic is not None else "no valid path"
    return fail("chain_invalid", f"the certificate chain of {whose} is not valid ({name})")


def _validity_problem(cert: x509.Certificate, status: SignatureStatus, whose: str):
    moment = status.validation_time
    if moment is not None and moment < cert.not_valid_before:
        since = _when(cert.not_valid_before)
        return "not_yet_valid", f"{whose} is valid only from {since}, checked as of {_when(moment)}"
    return (
        "expired",
        f"{whose} expired on {_when(cert.not_valid_after)}, checked as of {_when(moment)}",
    )


def _expired_in_path(status: SignatureStatus) -> str | None:
    """A certificate of the path outside its validity at the validation time, in words."""
    moment, path = status.validation_time, status.validation_path
    if moment is None or path is None:
        return None
    for cert in path.iter_certs(include_root=True):
        if not cert.not_valid_before <= moment <= cert.not_valid_after:
            return (
                f"certificate {subject_name(cert)} of the chain is valid only from "
                f"{_when(cert.not_valid_before)} to {_when(cert.not_valid_after)}, checked as "
                f"of {_when(moment)}"
            )
    return None


def first_expiry(status: SignatureStatus) -> datetime | None:
    """When the first certificate of the validated path (root included) expires."""
    if status.validation_path is None:
        return None
    return min(c.not_valid_after for c in status.validation_path.iter_certs(include_root=True))


def _when(moment: datetime | None) -> str:
    utc = as_utc(moment)
    return "-" if utc is None else utc.strftime("%Y-%m-%d %H:%M:%S UTC")
