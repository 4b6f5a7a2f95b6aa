"""Loopback TCP ports for the embedded stack's servers."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping

LOOPBACK = "127.0.0.1"


def allocate_ports(names: Iterable[str], *, prefer: Mapping[str, int] | None = None) -> dict[str, int]:
    """Free TCP ports on 127.0.0.1, one per name.

    The previous ports are reused when all are still free, so that endpoints stay the same
    across ``down``/``up``; otherwise the kernel picks, every socket held open until all are
    chosen so that no two names get the same port.
    """
    wanted = list(names)
    if prefer and all(n in prefer for n in wanted):
        chosen = [prefer[n] for n in wanted]
        if len(set(chosen)) == len(chosen) and all(port_is_free(p) for p in chosen):
            return dict(zip(wanted, chosen, strict=True))
    held = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in wanted]
    try:
        for sock in held:
            sock.bind((LOOPBACK, 0))
        return {n: s.getsockname()[1] for n, s in zip(wanted, held, strict=True)}
    finally:
        for sock in held:
            sock.close()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True
