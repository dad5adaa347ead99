"""``/v1/disclosure``: the public read of published counties' programmes (政务公开) —
Shanxi 2017 §七(五): publish "the plan, the projects, the fund arrangements" — open to
anyone, signed in or not."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from common.db import SessionDep
from common.errors import BadRequest, NotFound, Unprocessable, problem_responses
from common.pagination import Page, PageParams, next_link, page_params
from services.programme.disclosure import service
from services.programme.disclosure.schemas import Disclosure, PublicProject, PublishedCounty
from services.programme.divisions import COUNTY_PROBLEMS, CountyPath

router = APIRouter(prefix="/v1/disclosure", tags=["public disclosure"])
_NOT_PUBLISHED = (NotFound, "`not_published`: no such demonstration county, or not published")


@router.get(
    "",
    summary="Counties that published their programme",
    response_model=Page[PublishedCounty],
    responses=problem_responses((BadRequest, "`invalid_cursor`")),
)
async def published(
    request: Request,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    under: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$")] = None,
) -> Page[PublishedCounty]:
    rows, items = await service.published_counties(session, params, under)
    return Page[PublishedCounty](
        items=items, next=next_link(request, rows, params, lambda r: [r[0].county_code])
    )


@router.get(
    "/{county_code}",
    summary="A county's published programme",
    description="The county, its adopted targets, its fund arrangements and what was paid, "
    "by source and category. No personal or bank data.",
    response_model=Disclosure,
    responses=problem_responses(_NOT_PUBLISHED, (Unprocessable, COUNTY_PROBLEMS)),
)
async def disclosure(county_code: CountyPath, session: SessionDep) -> Disclosure:
    return await service.disclosure(session, county_code)


@router.get(
    "/{county_code}/projects",
    summary="A published county's projects",
    description="Category, implementing company, budget and paid by source, progress of "
    "the milestones. No responsible person, payee or voucher.",
    response_model=Page[PublicProject],
    responses=problem_responses(
        _NOT_PUBLISHED, (BadRequest, "`invalid_cursor`"), (Unprocessable, COUNTY_PROBLEMS)
    ),
)
async def projects(
    request: Request,
    county_code: CountyPath,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[PublicProject]:
    rows, items = await service.public_projects(session, county_code, params)
    return Page[PublicProject](
        items=items, next=next_link(request, rows, params, lambda p: [p.code])
    )
