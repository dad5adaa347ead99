"""What report generation needs from the running gateway: the services (the registry's
pooled clients) and who it asks them as — the gateway's own service principal, so a
document never depends on who asked for it — and the hooks a new revision runs."""

from dataclasses import dataclass, field

from fastapi import Request

from common.auth import Principal, Role
from gateway.registry.caller import Caller
from gateway.registry.upstream import Upstream
from gateway.reports.documents.figures import Reader
from gateway.reports.documents.service import RevisionHook

REPORTS_PRINCIPAL = Principal(subject="service:gateway-reports", role=Role.SERVICE)


def reports_reader(upstream: Upstream, request_id: str) -> Reader:
    return Reader(
        upstream=upstream,
        caller=Caller(
            principal=REPORTS_PRINCIPAL, scopes=None, request_id=request_id, language=None
        ),
    )


@dataclass
class ReportHooks:
    on_revision: list[RevisionHook] = field(default_factory=list)


HOOKS = ReportHooks()


def request_reader(request: Request) -> Reader:
    return reports_reader(request.app.state.registry.upstream, request.state.request_id)
