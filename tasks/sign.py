"""The `sign` step as a Prefect task: PAdES by the receiving agency's certificate.

The plan (level, key, TSA, stamp font) is resolved and checked once per run before any OCR
(:func:`prepare_signing`, :mod:`motcua.signing.factory`); each document is then signed at the
plan's level with a visible stamp naming the agency in force for its dossier and the signing
time. Retried with backoff when the TSA, the OCSP/CRL servers or the token are unreachable; after
the last attempt the document waits in ``sign_pending`` (the flow records it), never signed at a
lower level than planned.
"""

from __future__ import annotations

from prefect import get_run_logger

from motcua.core.assemble import AssembledPdf
from motcua.settings import Settings
from motcua.signing.factory import SigningPlan, agency_signer, prepare_signing, stamp_spec
from motcua.signing.pades import SignResult, sign_pdf
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.tasks.policies import retried


def prepare_signing_step(settings: Settings) -> SigningPlan:
    """Open the agency's key and check what its level needs, before any document is read."""
    plan = prepare_signing(settings)
    get_run_logger().info("signing at PAdES %s as %s%s", plan.level, plan.signer_subject,
                          f", TSA {plan.tsa_url}" if plan.tsa_url else "")
    return plan


def sign_step(settings: Settings, doc: DocumentRef, pdf: AssembledPdf, plan: SigningPlan) -> SignResult:
    """Sign at the plan's level; retried with backoff while the TSA, OCSP/CRL or token are out
    of reach, then :class:`~motcua.errors.SignPending` (the caller parks the document)."""
    agency = doc.dossier.agency_name

    def attempt() -> SignResult:
        with recorded_step(settings, doc, "sign"):
            return sign_pdf(
                pdf.path, doc.work_dir / "signed.pdf", agency_signer(settings),
                level=plan.level,
                reason="Số hóa hồ sơ thủ tục hành chính",
                location=agency,
                stamp=stamp_spec(settings, agency) if plan.stamp else None,
            )

    result = retried(attempt)
    get_run_logger().info("%s: signed at PAdES %s", doc.source_name, result.level)
    return result
