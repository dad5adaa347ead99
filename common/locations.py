"""A point as requests send it: ``location: {lon, lat}`` with the ``crs`` it is in.

What every component that takes a place (stations, depots) checks alike: the coordinate
system named, required with a location (GCJ-02 is 250–620 m off WGS-84, the mistake that
puts a point in the next village), and latitude and longitude not swapped.
"""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    model_validator,
)

from common.coords import CRS
from common.errors import invalid

CRS_NAMES = ", ".join(c.value for c in CRS)


def parse_crs(value: Any) -> Any:
    """``wgs84`` / ``gcj02`` / ``bd09`` (any case); anything else is ``unknown_crs``."""
    if value is None or isinstance(value, CRS):
        return value
    try:
        return CRS(str(value).strip().lower())
    except ValueError:
        raise invalid(
            "unknown_crs",
            f"unknown coordinate system {value!r}; one of {CRS_NAMES}",
            f"未知的坐标系 {value!r},应为 wgs84(GPS)、gcj02(高德、腾讯)或 bd09(百度)",
        ) from None


CrsField = Annotated[CRS | None, BeforeValidator(parse_crs)]


def swapped_message(lon: float, lat: float) -> tuple[str, str]:
    """What to say of a point whose lon and lat were sent the wrong way round."""
    return (
        f"lon {lon} and lat {lat} look swapped: send lon (east, about 73–135 in China) "
        "then lat (north, about 18–54)",
        f"经度 {lon}、纬度 {lat} 似乎填反了:lon 为经度(中国约 73–135),lat 为纬度(约 18–54)",
    )


def _number(value: Any) -> float | None:
    """A coordinate as sent: a JSON number (a Decimal from the bulk reader, which keeps
    amounts exact) or a spreadsheet cell's text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


class Location(BaseModel):
    """A point as longitude and latitude in the coordinate system the request names."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    lon: float = Field(ge=-180, le=180, examples=[111.14])
    lat: float = Field(ge=-90, le=90, examples=[37.52])

    @model_validator(mode="wrap")
    @classmethod
    def _swapped(cls, value: Any, handler: ModelWrapValidatorHandler["Location"]) -> "Location":
        """A latitude past ±90 that would be a fine longitude, beside a longitude that would
        be a fine latitude: the two were sent the wrong way round (WKT and GeoJSON put lon
        first, most people say lat first)."""
        if isinstance(value, dict):
            lon, lat = _number(value.get("lon")), _number(value.get("lat"))
            if (
                lon is not None
                and lat is not None
                and not -90 <= lat <= 90
                and -180 <= lat <= 180
                and -90 <= lon <= 90
            ):
                raise invalid("lat_lon_swapped", *swapped_message(lon, lat))
        return handler(value)


def crs_needed(value: CRS | None, info: ValidationInfo) -> CRS | None:
    """A ``field_validator("crs")`` of a model with ``location``: required with it."""
    if value is None and info.data.get("location") is not None:
        raise invalid(
            "crs_required",
            f"say which coordinate system the location is in: {CRS_NAMES}",
            "请用 crs 说明位置所用的坐标系:wgs84(GPS)、gcj02(高德、腾讯)或 bd09(百度)",
        )
    return value
