"""The gateway's write routes in the authorization matrix (see ``tests/authz``).

Its own routes (``/auth/…``, ``/registry/…``, …) join as ``Write`` entries like a service's.
Forwarding to the services is no route but an ASGI layer in front of them (ADR 0013); it is
checked with every service write route behind it
(``test_the_gateway_lets_no_unauthenticated_write_through``).
"""

from tests.authz import Forwarded, Write

ROUTES: dict[tuple[str, str], Write | Forwarded] = {}
