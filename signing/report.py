"""What :func:`motcua.signing.verify.verify_pdf` says about a PDF: frozen, JSON-ready facts.

Kept apart from the verification itself so that readers of a report (``motcua audit verify``,
the archive step) depend on plain data, not on pyHanko.

Every problem carries a short stable ``code`` for scripts and a ``message`` for people. A
signature's ``verdict`` follows ETSI EN 319 102-1's three outcomes:

- ``valid``: intact, covering what it must, its chain trusted and not revoked;
- ``invalid``: something is wrong with the file or the certificate (revoked, expired, untrusted,
  bytes changed, revocation evidence missing from a B-LT/B-LTA file...);
- ``indeterminate``: nothing is known to be wrong, but the revocation status of a B-B/B-T
  signature could not be obtained from its CA's OCSP/CRL services right now (try again later).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

DetectedLevel = Literal["B-B", "B-T", "B-LT", "B-LTA", "not PAdES"]
Verdict = Literal["valid", "invalid", "indeterminate"]
RevocationStatus = Literal["good", "revoked", "unknown", "not checked"]
EvidenceSource = Literal["embedded", "fetched", "none"]

INDETERMINATE_CODES = frozenset({"revocation_unavailable"})
"""Problems that say "could not decide now", not "wrong"."""


@dataclass(frozen=True)
class Problem:
    code: str
    """Stable, for scripts: ``digest_mismatch``, ``revoked``, ``expired``, ``untrusted`` ..."""
    message: str

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RevocationReport:
    """Whether the signer's chain was revoked, and where the evidence for the answer came from.

    ``status`` is ``good`` only if revocation information was found and checked for *every*
    certificate of the chain below the trust root ("require" mode); ``unknown`` if some was
    missing or unobtainable; ``not checked`` if the chain failed before revocation mattered
    (untrusted, expired) or the signature itself is broken.
    """

    status: RevocationStatus
    source: EvidenceSource
    """``fetched`` if OCSP/CRL requests were made, else ``embedded`` if the file carries any
    (DSS, or the signed adbe-revocationInfoArchival attribute), else ``none``."""
    embedded_ocsp: int = 0
    embedded_crl: int = 0
    fetched_ocsp: int = 0
    fetched_crl: int = 0
    revoked_at: datetime | None = None
    reason: str | None = None
    """CRL reason, e.g. ``key_compromise``, when revoked."""
    ca_revoked: bool = False
    """The revoked certificate is a CA of the chain, not the signer's own."""

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "embedded": {"ocsp": self.embedded_ocsp, "crl": self.embedded_crl},
            "fetched": {"ocsp": self.fetched_ocsp, "crl": self.fetched_crl},
            "revoked_at": _iso(self.revoked_at),
            "reason": self.reason,
            "ca_revoked": self.ca_revoked,
        }


NOT_CHECKED = RevocationReport(status="not checked", source="none")


@dataclass(frozen=True)
class SignatureReport:
    """One embedded signature, as judged against the given trust roots (see verify.py)."""

    field_name: str
    intact: bool
    """The signed byte ranges hash to the digest the signature covers."""
    valid: bool
    """The signature value verifies with the signer's public key."""
    trusted: bool
    """The signer's chain ends in a trust root, is valid and not revoked at ``validation_time``."""
    covers_entire_file: bool
    modified_after_signing: bool
    """Revisions other than PAdES long-term updates (DSS, document timestamps) follow it."""
    modification_level: str | None
    """pyHanko's difference analysis of what follows: NONE, LTA_UPDATES, FORM_FILLING ..."""
    level: DetectedLevel
    signer_subject: str
    signing_time: datetime | None
    """Claimed by the signer (not proof of anything), UTC."""
    timestamp_time: datetime | None
    """From the RFC 3161 signature timestamp, UTC; ``None`` at B-B."""
    problems: tuple[Problem, ...]
    coverage: str = "unknown"
    """pyHanko's coverage: ``entire_file``, ``entire_revision`` (B-LT/B-LTA, or an earlier
    signature) or ``contiguous_block_from_start`` / ``unclear``."""
    docmdp_ok: bool | None = None
    timestamp_trusted: bool | None = None
    """The signature timestamp is intact and from a trusted, unrevoked TSA; ``None`` at B-B."""
    archive_timestamps: tuple[datetime, ...] = ()
    """Document timestamps (PAdES B-LTA) appended after this signature, oldest first."""
    validation_time: datetime | None = None
    """The time the chain was judged for: now (B-B, B-T) or the signature timestamp (B-LT,
    B-LTA), UTC."""
    revocation: RevocationReport = NOT_CHECKED
    chain_problem: Problem | None = None
    """The signer chain's problem (code ``untrusted``, ``revoked``, ``expired``,
    ``revocation_unknown``, ``revocation_unavailable``, ...), also listed in ``problems``."""
    subfilter: str | None = None

    @property
    def verdict(self) -> Verdict:
        if not self.problems:
            return "valid"
        if all(p.code in INDETERMINATE_CODES for p in self.problems):
            return "indeterminate"
        return "invalid"

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field_name,
            "verdict": self.verdict,
            "level": self.level,
            "subfilter": self.subfilter,
            "signer": self.signer_subject,
            "intact": self.intact,
            "valid": self.valid,
            "chain": {
                "trusted": self.trusted,
                "problem": self.chain_problem.code if self.chain_problem else None,
                "validation_time": _iso(self.validation_time),
            },
            "revocation": self.revocation.to_json(),
            "signing_time": _iso(self.signing_time),
            "timestamp_time": _iso(self.timestamp_time),
            "timestamp_trusted": self.timestamp_trusted,
            "archive_timestamps": [_iso(t) for t in self.archive_timestamps],
            "coverage": {
                "level": self.coverage,
                "entire_file": self.covers_entire_file,
                "modified_after_signing": self.modified_after_signing,
                "modification_level": self.modification_level,
                "docmdp_ok": self.docmdp_ok,
            },
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True)
class VerificationReport:
    """Every signature of a file, in signing order, judged by the **last** one.

    The last signature is the one the archive stands on (motcua signs last: a submitted PDF may
    already carry earlier signatures, which are reported but do not decide ``ok``).
    """

    signatures: tuple[SignatureReport, ...]
    document_problems: tuple[Problem, ...] = ()

    @property
    def last(self) -> SignatureReport | None:
        return self.signatures[-1] if self.signatures else None

    @property
    def earlier(self) -> tuple[SignatureReport, ...]:
        return self.signatures[:-1]

    @property
    def verdict(self) -> Verdict:
        if self.last is None or self.document_problems:
            return "invalid"
        return self.last.verdict

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem in words, those of a signature prefixed with its field name (earlier
        signatures included, although they do not decide the verdict)."""
        per_signature = (f"{s.field_name}: {p}" for s in self.signatures for p in s.problems)
        return (*(str(p) for p in self.document_problems), *per_signature)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "document_problems": [p.to_json() for p in self.document_problems],
            "signatures": [s.to_json() for s in self.signatures],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
