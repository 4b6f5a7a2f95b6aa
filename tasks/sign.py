"""The `sign` step as a Prefect task: PAdES by the receiving agency's certificate.

The level is the configured one (default: the highest the stack supports, see
:mod:`motcua.signing.factory`), with a visible stamp naming the agency in force for the dossier
and the signing time. Retried with backoff when the TSA, the OCSP/CRL servers or the token are
unreachable; after the last attempt the document waits in ``sign_pending`` (the flow records it),
never signed at a lower level than configured.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from motcua.assemble import AssembledPdf
from motcua.settings import Settings
from motcua.signing.factory import agency_signer, signature_level, stamp_spec
from motcua.signing.pades import SignResult, sign_pdf
from motcua.tasks.context import DocumentRef, recorded_step
from motcua.tasks.policies import IO_RETRY_DELAYS, retry_only_transient


@task(name="sign", task_run_name="sign/{doc.source_name}", cache_policy=NO_CACHE, retries=3,
      retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=retry_only_transient)
def sign_step(settings: Settings, doc: DocumentRef, pdf: AssembledPdf) -> SignResult:
    agency = doc.dossier.agency_name
    with recorded_step(settings, doc, "sign"):
        result = sign_pdf(
            pdf.path, doc.work_dir / "signed.pdf", agency_signer(settings),
            level=signature_level(settings),
            reason="Số hóa hồ sơ thủ tục hành chính",
            location=agency,
            stamp=stamp_spec(settings, agency),
        )
    get_run_logger().info("%s: signed at PAdES %s", doc.source_name, result.level)
    return result
