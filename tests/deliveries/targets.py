"""Targets made as an admin makes them, for the delivery tests."""

from gateway.jobs import JobContext
from gateway.reports.targets import service
from gateway.reports.targets.schemas import TargetCreate
from tests.deliveries.conftest import ADMIN


async def make_target(
    ctx: JobContext, url: str, division: str = "nation", kind: str = "mofcom"
) -> tuple[int, str]:
    """A target taking county reports by month; its id and signing secret."""
    body = TargetCreate(
        name="商务部农村电子商务信息系统" if kind == "mofcom" else "山西省电子商务公共服务平台",
        kind=kind,  # type: ignore[arg-type]
        endpoint_url=url,
        division=division,
        document_types=["county-report"],
    )
    async with ctx.session() as session:
        target, issued = await service.create(session, ctx.settings, ADMIN, body, ctx.clock())
        return target.id, issued.value
