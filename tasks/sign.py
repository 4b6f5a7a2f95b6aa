"""The `sign` step as a Prefect task: PAdES by the receiving agency's certificate.

The plan (level, key, TSA, stamp font) is resolved and checked once per run before any OCR
(:func:`prepare_signing`, :mod:`motcua.signing.factory`); each document is then signed at the
plan's level with a visible stamp naming the agency in force for its dossier and the signing
time. Retried with backoff when the TSA, the OCSP/CRL servers or the token are unreachable; after
the last attempt the document waits in ``sign_pending`` (the flow records it), never signed at a
lower level than planned.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from motcua.core.assemble import AssembledPdf
from motcua.settings import Settings
from motcua.signing.factory import SigningPlan, agency_signer, prepare_signing, stamp_spec
from motcua.signing.pades import SignResult, sign_pdf
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="prepare-signing", cache_policy=NO_CACHE)
def prepare_signing_step(settings: Settings) -> SigningPlan:
    """Open the agency's key and check what its level needs, before any document is read."""
    plan = prepare_signing(settings)
    get_run_logger().info("signing at PAdES %s as %s%s", plan.level, plan.signer_subject,
                          f", TSA {plan.tsa_url}" if plan.tsa_url else "")
    return plan


@task(name="sign", task_run_name="sign/{doc.source_name}", cache_policy=NO_CACHE, retries=3,
      retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def sign_step(settings: Settings, doc: DocumentRef, pdf: AssembledPdf, plan: SigningPlan) -> SignResult:
    agency = doc.dossier.agency_name
    with recorded_step(settings, doc, "sign"):
        result = sign_pdf(
            pdf.path, doc.work_dir / "signed.pdf", agency_signer(settings),
            level=plan.level,
            reason="Số hóa hồ sơ thủ tục hành chính",
            location=agency,
            stamp=stamp_spec(settings, agency) if plan.stamp else None,
        )
    get_run_logger().info("%s: signed at PAdES %s", doc.source_name, result.level)
    return result
