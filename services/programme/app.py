"""The programme service: policy targets, county statistics, the demonstration project
ledger (项目台账), fund rules and their breaches, public disclosure and the change feed.
Run: ``uvicorn services.programme.app:create --factory``.
"""

from fastapi import FastAPI

from common.app import create_app
from common.feedconsumer import status_on_ready, status_on_scrape
from services.programme.base import SCHEMA
from services.programme.changes.router import router as changes_router
from services.programme.disbursements.router import router as disbursements_router
from services.programme.disclosure.router import router as disclosure_router
from services.programme.funding.router import HOT_FUNDING
from services.programme.funding.router import router as funding_router
from services.programme.funds.router import router as funds_router
from services.programme.ledger.router import router as ledger_router
from services.programme.progress.router import HOT_REPORT
from services.programme.progress.router import router as progress_router
from services.programme.projects.router import router as projects_router
from services.programme.reference.models import ProgrammeFeedCursor
from services.programme.settings import ProgrammeSettings
from services.programme.stations_feed import SOURCE, peers
from services.programme.statistics.router import router as statistics_router
from services.programme.targets.router import router as targets_router
from services.programme.vocabulary.router import router as vocabulary_router


def create(settings: ProgrammeSettings | None = None) -> FastAPI:
    app = create_app(
        settings=settings or ProgrammeSettings(),
        schema=SCHEMA,
        title="ruralnet programme",
        description="The e-commerce into rural areas demonstration programme: policy targets, "
        "county statistics, project ledgers, fund rules and public disclosure.",
        routers=[
            targets_router,
            statistics_router,
            ledger_router,
            projects_router,
            disbursements_router,
            funding_router,
            funds_router,
            progress_router,
            disclosure_router,
            changes_router,
        ],
        public_routers=[vocabulary_router],
        readiness_checks=[status_on_ready(ProgrammeFeedCursor, SOURCE)],
        extra_lifespan=peers,
        hot_routes=[HOT_FUNDING, HOT_REPORT],
    )
    app.state.metrics.on_scrape(status_on_scrape(ProgrammeFeedCursor, SOURCE))
    return app
