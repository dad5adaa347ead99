"""The training service's write routes in the authorization matrix (see ``tests/authz``)."""

from tests.authz import Forwarded, Write

ROUTES: dict[tuple[str, str], Write | Forwarded] = {}
