"""What a failed signature means for the document: wait (:class:`SignPending`) or fix the
configuration (:class:`ConfigurationError`); and URLs made safe to show.

pyHanko checks the signer's chain (and fetches OCSP/CRLs) before a B-LT/B-LTA signature and
reports a failure as a chain of exceptions; :func:`translate_validation_failure` reads the chain
for the one that decides.
"""

from __future__ import annotations

import asyncio
import re

from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    PathBuildingError,
    PathError,
    RevokedError,
    ValidationError,
)

from motcua.errors import ConfigurationError, SignPending


def translate_validation_failure(exc: BaseException) -> Exception | None:
    """pyHanko checks the signer's chain (and fetches OCSP/CRLs) before a B-LT/B-LTA signature.

    Missing revocation information means a server could not be reached: wait and retry. A
    revoked, expired or untrusted certificate will not get better by waiting: configuration.
    """
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    why = next((c for c in chain if isinstance(c, (PathError, ValidationError))), None)
    if isinstance(why, InsufficientRevinfoError):
        return SignPending(
            f"revocation information (OCSP/CRL) could not be fetched: {redact(str(why))}",
            hint="the document waits in sign_pending and is retried; check that the CA's OCSP "
            "responder and CRL distribution points are reachable",
        )
    if isinstance(why, RevokedError):
        hint = "the agency needs a new certificate; nothing can be signed with this one"
        return ConfigurationError(
            f"a certificate of the signer's chain is revoked: {redact(str(why))}", hint=hint
        )
    if isinstance(why, (PathBuildingError, ValidationError)):
        return ConfigurationError(
            f"a certificate the signature relies on (the signer's, the TSA's) cannot be "
            f"validated: {redact(str(why))}",
            hint="check MOTCUA_TRUST_ROOTS and the certificates' validity",
        )
    return None


def refuse_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "sign_pdf is synchronous and starts its own event loop; inside a running loop call it "
        "through asyncio.to_thread(sign_pdf, ...)"
    )


_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str | None) -> str:
    """Drop ``user:password@`` from every URL in ``text`` (messages reach logs and the UI)."""
    return _USERINFO.sub("", text or "")
