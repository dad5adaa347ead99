"""The gateway's write routes in the authorization matrix (see ``tests/authz``).

Its own routes (``/auth/…``, ``/registry/…``, …) join as ``Write`` entries like a service's;
the forwarding routes are checked with every service write route behind them.
"""

from tests.authz import Forwarded

FORWARD = "/{service}/{path:path}"

ROUTES = {(method, FORWARD): Forwarded() for method in ("POST", "PUT", "PATCH", "DELETE")}
