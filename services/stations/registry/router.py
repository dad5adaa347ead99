from fastapi import APIRouter

router = APIRouter(prefix="/v1/stations", tags=["stations"])
