"""Serve the test PKI's TSA, OCSP responder and CRLs over HTTP on one local address.

Usage::

    python -m motcua.infra.pki_server --pki-dir DIR --host 127.0.0.1 --port PORT

Why not ``certomancer animate``: it runs single-threaded and re-parses a service's private key
for every response (~40 ms CPU each), which caps B-LT signing at a few documents per second on
two cores (platform-notes, "Signing"). This wraps certomancer's own WSGI ``Animator`` in a
threaded werkzeug server and keeps parsed keys in memory.

URL layout (``{arch}`` is ``motcua-test``; use :func:`motcua.signing.pki.service_urls` rather
than spelling these out)::

    GET  /health                             200 {"status": "ok", ...}
    POST /{arch}/tsa/tsa                     RFC 3161 time-stamp requests
    POST /{arch}/ocsp/interm                 OCSP for certificates issued by the intermediate
                                             ("revoked" for the test PKI's revoked signer)
    GET  /{arch}/crls/{root|interm}/latest.crl   current CRL (DER; ``.crl.pem`` for PEM)
    GET  /{arch}/certs/...                   certomancer's certificate repositories

The web UI is off (it would hand out PKCS#12 files with private keys), and so is certomancer's
fake-time header (a TSA that stamps whatever time the client asks for is no TSA).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certomancer.crypto_utils
from asn1crypto import algos, keys, pem
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, ServiceLabel
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from motcua.errors import ConfigurationError
from motcua.signing.pki import TestPki, load_certomancer_config, load_test_pki
from motcua.signing.pki_config import CRL_SERVICES, KEY_LABELS, OCSP_SERVICE, TSA_SERVICE

logger = logging.getLogger("motcua.infra.pki_server")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _ParsedKeyBackend(certomancer.crypto_utils.PycaCryptographyBackend):
    """certomancer's crypto backend, minus the private-key parse on every signature.

    The stock backend turns the key's DER back into a pyca key object for each OCSP response,
    timestamp and CRL. Parsed keys are cached by their DER bytes (a handful of keys per PKI).
    """

    def __init__(self) -> None:
        self._keys: dict[bytes, Any] = {}
        self._lock = threading.Lock()

    def _pyca_key(self, private_key: keys.PrivateKeyInfo) -> Any:
        der = private_key.dump()
        with self._lock:
            key = self._keys.get(der)
            if key is None:
                key = serialization.load_der_private_key(der, password=None)
                self._keys[der] = key
        return key

    def generic_sign(
        self,
        private_key: keys.PrivateKeyInfo,
        tbs_bytes: bytes,
        sd_algo: algos.SignedDigestAlgorithm,
    ) -> bytes:
        if sd_algo.signature_algo != "rsassa_pkcs1v15":
            return super().generic_sign(private_key, tbs_bytes, sd_algo)
        key = self._pyca_key(private_key)
        assert isinstance(key, rsa.RSAPrivateKey)
        hash_algo = getattr(hashes, sd_algo.hash_algo.upper())()
        return key.sign(tbs_bytes, padding.PKCS1v15(), hash_algo)


class _WholeSecondAnimator(Animator):
    """certomancer's Animator, with response times truncated to whole seconds.

    certomancer stamps OCSP ``producedAt`` with microseconds; strict DER parsers (pyca
    cryptography, following RFC 5280's GeneralizedTime profile) refuse such responses.
    """

    def at_time(self, request: Request) -> datetime:
        return super().at_time(request).replace(microsecond=0)


def build_app(pki: TestPki) -> WsgiApp:
    """The WSGI app: ``/health`` plus certomancer's service endpoints for ``pki``.

    Installs the key-caching backend into certomancer (process-wide, harmless for other users
    of certomancer in the same process) and warms every certificate and service once, so that
    concurrent first requests do not all build the same objects.
    """
    certomancer.crypto_utils.CRYPTO_BACKEND = _ParsedKeyBackend()
    config = load_certomancer_config(pki)
    arch = config.get_pki_arch(ArchLabel(pki.arch))
    _check_matches_exported(pki, arch)
    registry = arch.service_registry
    registry.summon_timestamper(ServiceLabel(TSA_SERVICE))
    registry.summon_responder(ServiceLabel(OCSP_SERVICE))
    for crl_repo in CRL_SERVICES.values():
        registry.get_crl(ServiceLabel(crl_repo))

    animator = _WholeSecondAnimator(
        AnimatorArchStore(config.pki_archs), with_web_ui=False, allow_time_override=False
    )
    health = json.dumps({"status": "ok", "arch": pki.arch, "test_pki": True}).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/health" and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            response = Response(health, mimetype="application/json")
            return response(environ, start_response)
        return animator(environ, start_response)

    return app


def _check_matches_exported(pki: TestPki, arch: Any) -> None:
    """Refuse to serve if certomancer no longer yields the certificates exported at generation.

    (An edited config or a certomancer upgrade could change them; a TSA whose certificate does
    not chain to the exported root would produce B-T signatures that fail verification.)
    """
    for label in KEY_LABELS:
        _, _, exported = pem.unarmor(pki.cert_file(label).read_bytes())
        if arch.get_cert(CertLabel(label)).dump() != exported:
            raise ConfigurationError(
                f"certomancer regenerates a different '{label}' certificate than "
                f"{pki.cert_file(label)}",
                hint="the test PKI's config or certomancer changed: regenerate the test PKI",
            )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m motcua.infra.pki_server",
        description="Serve the motcua TEST PKI's TSA, OCSP and CRLs (not for production).",
    )
    parser.add_argument("--pki-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (only this one)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    level = args.log_level.upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(level)  # werkzeug forces INFO (one line per request)
    try:
        pki = load_test_pki(args.pki_dir)
        app = build_app(pki)
    except ConfigurationError as exc:
        print(f"pki_server: {exc}", file=sys.stderr)
        return exc.exit_code

    baked = urlsplit(pki.services_base_url)
    if (baked.hostname, baked.port) != (args.host, args.port):
        logger.warning(
            "certificates point OCSP/CRL clients at %s, but this server listens on %s:%s; "
            "revocation fetching (B-LT) will not reach it",
            pki.services_base_url,
            args.host,
            args.port,
        )

    server = make_server(args.host, args.port, app, threaded=True)

    def _stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)
    print(
        f"motcua TEST PKI services on http://{args.host}:{server.server_port} (pki {pki.pki_dir})",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
