"""PostGIS values read without SQLAlchemy's result processors (``common.db.RawStatement``).

geoalchemy2 compiles a geometry column in a SELECT as ``ST_AsEWKB(column)``; asyncpg hands
that back as ``bytes``. A stored location is a point: its two coordinates are read straight
from the EWKB (what shapely's ``from_wkb`` would parse into an object first).
"""

import struct

from geoalchemy2 import WKBElement

_POINT = 1
_HAS_SRID = 0x20000000
_HAS_Z_OR_M = 0x80000000 | 0x40000000


def ewkb_point(data: bytes) -> tuple[float, float]:
    """(x, y) — (lon, lat) for SRID 4326 — of a 2-D point in (E)WKB; ``ValueError`` for any
    other geometry."""
    if len(data) < 21:
        raise ValueError("not a WKB point: too short")
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, 1)
    if kind & 0xFFFF != _POINT or kind & _HAS_Z_OR_M:
        raise ValueError(f"not a 2-D WKB point (type {kind:#x})")
    offset = 9 if kind & _HAS_SRID else 5
    x, y = struct.unpack_from(order + "dd", data, offset)
    return x, y


def point_of(value: bytes | WKBElement | None) -> tuple[float, float] | None:
    """The point of a geometry value as either path reads it: EWKB bytes from a raw read, a
    ``WKBElement`` through SQLAlchemy."""
    if value is None:
        return None
    if isinstance(value, WKBElement):
        value = value.data
        if isinstance(value, str):  # hex, as PostgreSQL's text output gives it
            value = bytes.fromhex(value)
    return ewkb_point(bytes(value))
