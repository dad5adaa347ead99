"""Links a client can follow (``next``, ``Link``, ``Location``, problem ``instance``), built
from configuration, never from the request's ``Host``.

The gateway is the one public entrance (ADR 0011). It knows its public URL
(``GATEWAY_PUBLIC_URL``) and the prefix it mounts each service under (``/stations``), so it
tells the service, on every forwarded request, the public base of that service
(``http://127.0.0.1:8000/stations``) in :data:`PUBLIC_BASE_HEADER`, signed with the internal
secret. A service takes the base only with a valid signature; anyone else calling it directly
(a test, another service) gets path-absolute references (``/v1/stations?cursor=…``), which
resolve against the address that caller used (RFC 3986 §5). A component with a public URL of
its own (the gateway) builds absolute links from it.

The base is looked up once per request by the request-context middleware; routes call
:func:`public_url` or :func:`url_for` (and ``common.pagination.next_link``) and never assemble
a URL by hand.
"""

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from fastapi import Request

PUBLIC_BASE_HEADER = "x-ruralnet-public-base"
PUBLIC_BASE_SIGNATURE_HEADER = "x-ruralnet-public-base-signature"
# Characters a path keeps as they are (RFC 3986 pchar and "/"); "%" too, so a path that is
# already percent-encoded stays as it is.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def sign_public_base(base: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"public-base\n" + base.encode(), hashlib.sha256).hexdigest()


class PublicBaseVerifier:
    """Checks a forwarded public base against its signature.

    The gateway sends one base per service, the same on every request, so the answers are
    kept: after the first request a check is one dictionary lookup.
    """

    _MAX_REMEMBERED = 64

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._checked: dict[tuple[str, str], bool] = {}

    def __call__(self, base: str, signature: str) -> bool:
        key = (base, signature)
        known = self._checked.get(key)
        if known is None:
            known = hmac.compare_digest(sign_public_base(base, self._secret), signature)
            if len(self._checked) >= self._MAX_REMEMBERED:
                # Forged values must not grow this without bound.
                self._checked.clear()
            self._checked[key] = known
        return known


def public_base(request: Request) -> str:
    """The public URL this component's paths hang under; "" for a direct call."""
    return request.scope.get("state", {}).get("public_base", "")


def request_path(request: Request) -> str:
    """The request's path, percent-encoded as it arrived (a decoded ``%0D`` is no URL)."""
    raw = request.scope.get("raw_path")
    if raw:
        return raw.split(b"?", 1)[0].decode("latin-1")
    return quote(request.url.path, safe=_PATH_SAFE)


def public_url(
    request: Request, path: str, query: str | Mapping[str, str | int] | None = None
) -> str:
    """The link to ``path`` of this component (e.g. ``/v1/stations/141124…``), as the
    caller can follow it: a gateway URL through the gateway, path-absolute otherwise."""
    url = public_base(request) + quote(path, safe=_PATH_SAFE)
    if query:
        url += "?" + (query if isinstance(query, str) else urlencode(query))
    return url


def url_for(request: Request, name: str, /, **path_params: object) -> str:
    """The public link to the route called ``name``: ``url_for(request, "read_station",
    code=code)`` for a ``Location`` header."""
    return public_url(request, str(request.app.url_path_for(name, **path_params)))


def link_header(url: str | None, rel: str = "next") -> dict[str, str]:
    """A ``Link`` header (RFC 8288) for ``url``, or no header when there is none."""
    return {"Link": f'<{url}>; rel="{rel}"'} if url else {}
