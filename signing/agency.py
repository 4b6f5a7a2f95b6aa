"""The agency signer: a key plus the services its level needs, with pyHanko's tools kept warm.

Made once per signer (per process), shared by every thread:

- the TSA client: pyHanko asks a new client for a dummy timestamp first, to size the signature
  (a whole extra round trip); pyHanko's own client also built a TLS context from certifi's
  bundle for every request, even to an ``http://`` TSA (~40% of a B-LT signature's CPU here, see
  benchmarks/README.md), so requests go through ``requests`` instead;
- the OCSP responses and CRLs the first document fetched, as DER bytes (safe to share), for
  :data:`REVINFO_REUSE_SECONDS`: what goes into a document's DSS is never older than that;
- the size of the CMS signature container each level produced, so that later signatures reserve
  their ``/Contents`` space from it instead of making a dummy signature first
  (:mod:`motcua.signing.sizing`).

Made once per thread (asn1crypto objects parse lazily and are not thread-safe): pyHanko's CMS
signer (a token's key handle) and the validation context. A context made while a shared copy is
fresh does not fetch at all (pyHanko fetches OCSP again for every new context that may fetch,
whatever it was given); if that copy does not do for a document, :func:`~motcua.signing.pades.
sign_pdf` asks for a context that fetches (``fetch=True``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from asn1crypto import x509 as asn1_x509
from pyhanko.sign import signers
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from .keys import Pkcs12Key, SigningKey, load_trust_roots, revocation_urls

REVINFO_REUSE_SECONDS = 300.0


class _SharedRevinfoIsOnPurpose(logging.Filter):
    """pyHanko warns on every signature whose context may not fetch; ours is built on revocation
    information fetched moments ago (and a fetching context is used if it does not do)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "but fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_SharedRevinfoIsOnPurpose())


class _ThreadTools(NamedTuple):
    cms_signer: signers.Signer


@dataclass(frozen=True)
class AgencySigner:
    """The agency's key, its TSA and the trust roots its revocation information is checked
    against. pyHanko's objects are made lazily, shared or per thread (see the module docstring)."""

    key: SigningKey
    tsa_url: str | None
    tsa_timeout_seconds: float = 10.0
    trust_roots_der: tuple[bytes, ...] = field(default=(), repr=False)
    _per_thread: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )
    _shared: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _tools: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _cms_sizes: dict = field(default_factory=dict, init=False, repr=False, compare=False)
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

    @property
    def timestamper(self) -> RequestsHTTPTimeStamper | None:
        """The TSA client every thread uses (it keeps the dummy timestamp that sizes signatures)."""
        if self.tsa_url is None:
            return None
        with self._shared_lock:
            if "timestamper" not in self._tools:
                self._tools["timestamper"] = RequestsHTTPTimeStamper(
                    self.tsa_url, timeout=self.tsa_timeout_seconds)
            return self._tools["timestamper"]

    def thread_tools(self) -> _ThreadTools:
        """This thread's pyHanko signer (made on first use in the thread)."""
        tools: _ThreadTools | None = getattr(self._per_thread, "tools", None)
        if tools is None:
            tools = _ThreadTools(self.key.new_cms_signer())
            self._per_thread.tools = tools
        return tools

    def validation_context(self, *, fetch: bool = False) -> ValidationContext:
        """This thread's validation context, revocation checking ``hard-fail``: an unreachable
        server is an error, never a signature without revocation information. Built on the
        shared OCSP responses/CRLs without fetching while they are fresh (unless ``fetch``),
        else fetching them; renewed every :data:`REVINFO_REUSE_SECONDS`."""
        held: tuple[ValidationContext, float] | None = getattr(self._per_thread, "context", None)
        if fetch or held is None or time.monotonic() - held[1] > REVINFO_REUSE_SECONDS:
            with self._shared_lock:
                shared = dict(self._shared)
            age = time.monotonic() - shared["at"] if shared else None
            fresh = not fetch and age is not None and age <= REVINFO_REUSE_SECONDS
            context = ValidationContext(
                trust_roots=[asn1_x509.Certificate.load(der) for der in self.trust_roots_der],
                other_certs=[asn1_x509.Certificate.load(der) for der in self.key.chain_der],
                revocation_mode="hard-fail",
                allow_fetching=not fresh,
                fetcher_backend=None if fresh else RequestsFetcherBackend(
                    per_request_timeout=self.tsa_timeout_seconds),
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

    def cms_size(self, level: str) -> int | None:
        """The largest CMS signature container (DER bytes) a ``level`` signature has had in this
        process; ``None`` before the first."""
        with self._shared_lock:
            return self._cms_sizes.get(level)

    def note_cms_size(self, level: str, size: int) -> None:
        """Remember a signature's container size. Only ever grows: a TSA that answers from two
        units with different certificates then gets room for the larger every time."""
        with self._shared_lock:
            if size > self._cms_sizes.get(level, 0):
                self._cms_sizes[level] = size

    def forget_validation_context(self) -> None:
        """Drop this thread's context (after a failed fetch: never retry with its leftovers)."""
        self._per_thread.context = None
