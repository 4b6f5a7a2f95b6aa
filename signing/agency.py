"""The agency signer: a key plus the services its level needs, with per-thread pyHanko tools.

pyHanko's signer, TSA client and validation context are made once *per thread* (asn1crypto
objects parse lazily and are not thread-safe; a TSA client per document costs an extra round trip
to size the signature; a validation context per document fetches OCSP and CRLs again). The
validation context is renewed after :data:`REVINFO_REUSE_SECONDS`, so what goes into the DSS is
never older than that.

The OCSP responses and CRLs themselves are shared between threads (as DER bytes, which are
safe to share), for the same time: a worker runs each dossier's documents on fresh threads, and
without the shared copy every dossier fetched the chain's revocation information again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from asn1crypto import x509 as asn1_x509
from pyhanko.sign import signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext

from .keys import Pkcs12Key, SigningKey, load_trust_roots, revocation_urls

REVINFO_REUSE_SECONDS = 300.0


class _ThreadTools(NamedTuple):
    cms_signer: signers.Signer
    timestamper: HTTPTimeStamper | None


@dataclass(frozen=True)
class AgencySigner:
    """The agency's key, its TSA and the trust roots its revocation information is checked
    against. Per-thread pyHanko objects are made lazily (see the module docstring)."""

    key: SigningKey
    tsa_url: str | None
    tsa_timeout_seconds: float = 10.0
    trust_roots_der: tuple[bytes, ...] = field(default=(), repr=False)
    _per_thread: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )
    _shared: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _shared_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @classmethod
    def from_pkcs12(
        cls,
        path: Path,
        passphrase: bytes,
        *,
        tsa_url: str | None,
        tsa_timeout_seconds: float = 10.0,
        trust_roots: Sequence[Path] = (),
    ) -> AgencySigner:
        """Parse the PKCS#12 file once. Wrong path or passphrase → :class:`ConfigurationError`."""
        return cls(
            key=Pkcs12Key.load(path, passphrase),
            tsa_url=tsa_url,
            tsa_timeout_seconds=tsa_timeout_seconds,
            trust_roots_der=load_trust_roots(trust_roots),
        )

    @property
    def subject(self) -> str:
        return self.key.subject

    @property
    def revocation_urls(self) -> tuple[str, ...]:
        return revocation_urls(self.key.cert_der)

    def thread_tools(self) -> _ThreadTools:
        """This thread's pyHanko signer and TSA client (made on first use in the thread)."""
        tools: _ThreadTools | None = getattr(self._per_thread, "tools", None)
        if tools is None:
            timestamper = (
                HTTPTimeStamper(self.tsa_url, timeout=self.tsa_timeout_seconds)
                if self.tsa_url is not None
                else None
            )
            tools = _ThreadTools(self.key.new_cms_signer(), timestamper)
            self._per_thread.tools = tools
        return tools

    def validation_context(self) -> ValidationContext:
        """This thread's validation context: it fetches (and caches) OCSP responses and CRLs
        with revocation checking ``hard-fail``, so an unreachable server is an error, never a
        signature without revocation information. Renewed every :data:`REVINFO_REUSE_SECONDS`."""
        held: tuple[ValidationContext, float] | None = getattr(self._per_thread, "context", None)
        if held is None or time.monotonic() - held[1] > REVINFO_REUSE_SECONDS:
            with self._shared_lock:
                shared = dict(self._shared)
            fresh = shared and time.monotonic() - shared["at"] <= REVINFO_REUSE_SECONDS
            context = ValidationContext(
                trust_roots=[asn1_x509.Certificate.load(der) for der in self.trust_roots_der],
                other_certs=[asn1_x509.Certificate.load(der) for der in self.key.chain_der],
                allow_fetching=True,
                revocation_mode="hard-fail",
                ocsps=list(shared["ocsps"]) if fresh else None,
                crls=list(shared["crls"]) if fresh else None,
            )
            held = (context, shared["at"] if fresh else time.monotonic())
            self._per_thread.context = held
        return held[0]

    def share_revinfo(self, context: ValidationContext) -> None:
        """Offer what ``context`` fetched to the other threads (if the shared copy is older)."""
        held = getattr(self._per_thread, "context", None)
        if held is None or held[0] is not context:
            return
        with self._shared_lock:
            if self._shared and self._shared["at"] >= held[1]:
                return
            self._shared.clear()  # the dataclass is frozen: the dict is filled in place
            self._shared.update({"ocsps": tuple(o.dump() for o in context.ocsps),
                                 "crls": tuple(c.dump() for c in context.crls), "at": held[1]})

    def forget_validation_context(self) -> None:
        """Drop this thread's context (after a failed fetch: never retry with its leftovers)."""
        self._per_thread.context = None
