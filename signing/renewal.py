"""Keep a B-LTA archive verifiable for decades: renew its document timestamp in time.

A PAdES B-LTA file is trustworthy as long as its *last* document timestamp can be validated: that
timestamp vouches for everything before it (signature, DSS, earlier timestamps). Its TSA
certificate expires one day, and after that the timestamp proves nothing. Before that day, a new
document timestamp is added over the whole file (pyHanko's archival timestamp chain update: the
DSS first gets the revocation info of the last timestamp, then a fresh timestamp covers it all).
The archive keeps the old version under object lock; the renewed file becomes the new version.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext

from motcua.errors import CorruptInput, SignPending


@dataclass(frozen=True)
class TimestampChain:
    """The last document timestamp of a file and when its TSA certificate stops vouching."""

    timestamps: int  # document timestamps in the file
    last_at: dt.datetime | None
    tsa_expires_at: dt.datetime | None

    def due(self, now: dt.datetime, within: dt.timedelta) -> bool:
        """Renewal is due when the last timestamp's TSA certificate expires within ``within``."""
        return self.tsa_expires_at is not None and self.tsa_expires_at - now <= within


def timestamp_chain(data: bytes) -> TimestampChain:
    """Read the document timestamps of ``data`` (none: not B-LTA)."""
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        stamps = list(reader.embedded_timestamp_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise CorruptInput(f"the archived PDF cannot be read: {exc}") from exc
    if not stamps:
        return TimestampChain(timestamps=0, last_at=None, tsa_expires_at=None)
    last = stamps[-1]
    tsa = last.signer_cert
    # A document timestamp's signed content is the RFC 3161 TSTInfo: its genTime is the time.
    token_time = last.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    return TimestampChain(
        timestamps=len(stamps),
        last_at=token_time.astimezone(dt.UTC),
        tsa_expires_at=tsa["tbs_certificate"]["validity"]["not_after"].native.astimezone(dt.UTC),
    )


def renew_archival_timestamp(
    data: bytes, *, tsa_url: str, validation_context: ValidationContext
) -> bytes:
    """``data`` with its DSS completed and a new document timestamp over everything.

    Synchronous (pyHanko runs its own event loop): call it from a plain thread. A TSA or OCSP
    server that cannot be reached raises :class:`SignPending`; the file is then left as it is.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("renew_archival_timestamp runs its own event loop: use asyncio.to_thread")
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(tsa_url, timeout=10))
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        out = stamper.update_archival_timestamp_chain(
            reader, validation_context, in_place=False, output=BytesIO()
        )
    except TimestampRequestError as exc:
        raise SignPending("the TSA did not answer the renewal timestamp request",
                          hint="the document keeps its current timestamp; the next run retries") from exc
    except (OSError, ConnectionError) as exc:
        raise SignPending(f"a service needed for the renewal is unreachable: {type(exc).__name__}",
                          hint="the next run retries") from exc
    return out.getvalue()
