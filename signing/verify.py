"""Verify the signatures embedded in a PDF and say in plain words what is wrong.

This is what ``motcua audit verify`` relies on (DESIGN §3: signature intact and covering the
whole file, chain to a configured trust root, timestamp, revocation). It never raises because
of the document: a bad signature, a file that is not a PDF or a PDF without signatures all come
back as a :class:`~motcua.signing.report.VerificationReport` whose ``ok`` is ``False`` and whose
problems say why. Misconfiguration (no trust root, unreadable root file) is the caller's fault
and raises :class:`~motcua.errors.ConfigurationError`.

What is checked, per signature (pyHanko does the cryptography and the difference analysis):

- integrity and the signature value;
- the chain to the trust roots and its revocation status, by the policy of the signature's PAdES
  level (:mod:`motcua.signing.revocation`): B-LT/B-LTA offline from the embedded evidence as of
  the signature timestamp, B-B/B-T online as of now, revocation required in both cases;
- the signature timestamp, and the document timestamps (B-LTA) that follow the signature, each
  as of its own time from the embedded evidence when the file carries some for its TSA;
- for B-LT/B-LTA, that the newest timestamp's TSA chain has not expired: once it has, nothing
  vouches any more for the evidence older than it;
- coverage: the **last** signature must cover the entire file, except for PAdES long-term
  updates (DSS, document timestamps) appended after it; earlier signatures may be followed by
  later ones, and pyHanko's difference analysis decides whether what follows is allowed.

The report is judged by the last signature (motcua's own: it signs last); earlier signatures, for
instance a citizen's on the submitted PDF, are reported with their own verdicts.

Like :func:`motcua.signing.pades.sign_pdf`, :func:`verify_pdf` runs its own event loop: call it
from a plain thread, or through ``asyncio.to_thread`` from async code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from motcua.errors import ConfigurationError

from .evidence import EmbeddedEvidence
from .report import Problem, SignatureReport, VerificationReport
from .signature_checks import MALFORMED, Checker

__all__ = ["Problem", "SignatureReport", "VerificationReport", "verify_pdf"]

FETCH_TIMEOUT_SECONDS = 10
"""Per OCSP/CRL request, B-B/B-T only."""


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | Path],
    other_certs: Iterable[x509.Certificate | Path] = (),
    allow_fetching: bool = True,
) -> VerificationReport:
    """Verify every signature and document timestamp in ``data``; never raises for a bad file.

    ``allow_fetching=False`` keeps everything offline: B-B/B-T signatures then come out
    *indeterminate* (their revocation status is not checked), B-LT/B-LTA are unaffected.
    """
    roots = _load_certs(trust_roots)
    if not roots:
        raise ConfigurationError(
            "no trust root given: nothing could ever be trusted",
            hint="set MOTCUA_TRUST_ROOTS (the embedded stack uses its test PKI's root)",
        )
    if _event_loop_running():
        raise RuntimeError(
            "verify_pdf starts its own event loop; inside a running loop call it through "
            "asyncio.to_thread(verify_pdf, ...)"
        )
    return asyncio.run(_verify(data, roots, _load_certs(other_certs), allow_fetching))


def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _verify(
    data: bytes, roots: list[x509.Certificate], others: list[x509.Certificate], fetch: bool
) -> VerificationReport:
    try:
        reader = PdfFileReader(BytesIO(data))
    except MALFORMED as exc:
        return VerificationReport((), (Problem("not_pdf", f"not a readable PDF: {exc}"),))
    try:
        embedded = list(reader.embedded_signatures)
    except MALFORMED as exc:
        return VerificationReport(
            (), (Problem("unreadable", f"the signature fields cannot be read: {exc}"),)
        )
    regular = [s for s in embedded if s.sig_object_type == "/Sig"]
    if not regular:
        return VerificationReport(
            (), (Problem("no_signature", "the document carries no signature"),)
        )
    document_problems: list[Problem] = []
    try:
        dss = EmbeddedEvidence.from_dss(reader)
    except MALFORMED as exc:
        dss = EmbeddedEvidence()
        document_problems.append(Problem("dss_unreadable", f"the DSS cannot be read: {exc}"))

    backend = AIOHttpFetcherBackend(per_request_timeout=FETCH_TIMEOUT_SECONDS) if fetch else None
    try:
        checker = Checker(roots, others, dss, backend)
        stamps = [
            await checker.document_timestamp(ts)
            for ts in embedded
            if ts.sig_object_type == "/DocTimeStamp"
        ]
        reports = [
            await checker.signature(sig, is_last=sig is regular[-1], stamps=stamps)
            for sig in regular
        ]
    finally:
        if backend is not None:
            await backend.close()
    return VerificationReport(tuple(reports), tuple(document_problems))


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
