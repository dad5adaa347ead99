"""``GET /v1/indicators``: the codes a target may name (public: the policy vocabulary is no
secret, and the officials' front end needs it before anyone signs in)."""

from fastapi import APIRouter

from common.indicators import VOCABULARY
from services.programme.vocabulary.schemas import IndicatorOut, Vocabulary

router = APIRouter(prefix="/v1/indicators", tags=["indicator vocabulary"])

_VOCABULARY = Vocabulary(items=[IndicatorOut.of(d) for d in VOCABULARY.values()])


@router.get(
    "",
    summary="The indicator vocabulary",
    description="Every indicator code a policy target may name: names, unit, kind, and which "
    "service computes it from which route and figure (docs/adr/0040).",
)
async def vocabulary() -> Vocabulary:
    return _VOCABULARY
