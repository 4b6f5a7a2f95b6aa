"""HTTP probes of the embedded services: loopback addresses, never through a proxy.

An ``HTTP_PROXY`` in the environment would send ``http://127.0.0.1:…`` to the proxy, so every
probe goes through :data:`NO_PROXY`.
"""

from __future__ import annotations

import urllib.error
import urllib.request

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_problem(request: str | urllib.request.Request, *, expect: int = 200, timeout: float = 3.0,
                 label: str | None = None) -> str | None:
    """None when ``request`` answers ``expect``; else what went wrong, named by ``label``
    (default: the URL)."""
    name = label or (request if isinstance(request, str) else request.full_url)
    try:
        with NO_PROXY.open(request, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        return f"{name} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{name}: {getattr(exc, 'reason', exc)}"
    return None if status == expect else f"{name} answered HTTP {status}"
