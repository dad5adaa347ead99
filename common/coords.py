"""Coordinate systems used by Chinese map SDKs, and conversion to and from WGS-84.

- ``wgs84``: GPS, and what we store (SRID 4326).
- ``gcj02``: the "Mars" system that AMap (高德) and Tencent maps return; 250–620 m off WGS-84.
- ``bd09``: Baidu's system, GCJ-02 shifted about 900 m more.

GCJ-02 is an obfuscation with a published forward formula; its inverse is solved here by
fixed-point iteration to better than 1e-7° (about a centimetre). No maintained package does
this (the PyPI ones are unmaintained since 2018–2019), so the few lines live here, with tests
against published reference points. Outside mainland China's box no offset applies.
"""

import math
from enum import StrEnum

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the GCJ-02 formula
_EE = 0.00669342162296594323  # its eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


class CRS(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def outside_china(lon: float, lat: float) -> bool:
    """The box in which GCJ-02 applies (and, roughly, mainland China)."""
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if outside_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def to_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """A point given in ``crs``, as WGS-84 (what we store)."""
    if crs is CRS.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if crs is CRS.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    return lon, lat


def from_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """A stored WGS-84 point, as ``crs`` for a client that asked for it."""
    if crs is CRS.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if crs is CRS.BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    return lon, lat
