"""How much room a signature's ``/Contents`` gets: measured once per signer and level, not per
document.

pyHanko sizes the placeholder for the CMS signature container by making a whole dummy signature
first (``estimate_signature_container_size``: the CMS built and DER-encoded once more, ~15% of a
B-LT signature with the stamp) and reserves 1.5 × its size. Yet for one signer and one
level the container is the same every time: the signer's certificates, the signed attributes and
the TSA's token (its certificates included) do not depend on the document, and the stamp is not in
it (it is the field's appearance, outside the CMS). Only a few fields vary by a few bytes: the
TSA's serial number, nonce and fractional genTime, an ECDSA signature's length. Ten B-LT
signatures in a row measured 6,637 bytes each.

So the first signature of a level is sized by pyHanko, its container's actual size is kept on the
:class:`~motcua.signing.agency.AgencySigner` (:func:`measured_size`), and later ones reserve that
plus :data:`MARGIN_BYTES` (:func:`reservation`). A container that still does not fit (the TSA
renewed its certificate with a longer chain) makes :func:`~motcua.signing.pades.sign_pdf` sign that
document again with pyHanko's own estimate, and the larger size is kept from then on. The tighter
placeholder also makes the file smaller and the read-back cheaper: pyHanko's reader parses the hex
string one character at a time, padding included (~0.45 µs a character). Measured 2026-12-03, B-LT
with the stamp, one page: 57 → 45 ms CPU a signature, ``/Contents`` 19,910 → 15,322 hex digits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from asn1crypto import parser as asn1_parser
from pyhanko.pdf_utils.reader import PdfFileReader

from .failures import redact

logger = logging.getLogger(__name__)
T = TypeVar("T")

MARGIN_BYTES = 1024
"""Room above the largest container seen: ~30 × what varies between two signatures of a level,
and enough for a TSA certificate renewed with a longer key."""


def reservation(measured: int | None) -> int | None:
    """``bytes_reserved`` for pyHanko (hex digits, so twice the DER bytes; even), or ``None``
    (let pyHanko estimate) while nothing has been measured."""
    if measured is None:
        return None
    return 2 * (measured + MARGIN_BYTES)


def measured_size(reader: PdfFileReader, field_name: str) -> int:
    """DER size of the CMS container in ``field_name``, as the file carries it (without the
    zero padding that fills the rest of the placeholder)."""
    ours = next(s for s in reader.embedded_signatures if s.field_name == field_name)
    _class, _method, _tag, header, content, trailer = asn1_parser.parse(ours.pkcs7_content)
    return len(header) + len(content) + len(trailer)


class ReservationMayBeTooSmall(Exception):
    """Signing with a reservation from an earlier signature's size failed, and not on a
    certificate check: the container may have outgrown the placeholder."""


def sign_sized(attempt: Callable[[int | None], T], measured: int | None, name: str) -> T:
    """``attempt(reservation)``; if that raises :class:`ReservationMayBeTooSmall`, once more
    with ``None`` (pyHanko's own estimate). A real size problem is solved by the second attempt;
    anything else (pyHanko's seed-value and form checks, all local) fails again the same way and
    is reported as before."""
    reserved = reservation(measured)
    if reserved is not None:
        try:
            return attempt(reserved)
        except ReservationMayBeTooSmall as exc:
            logger.info("%s: signing again with pyHanko's size estimate (%d bytes reserved "
                        "did not do: %s)", name, reserved, redact(str(exc.__cause__)))
    return attempt(None)
