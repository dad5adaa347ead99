"""Chinese identifiers and map coordinate systems, against published reference values."""

import math

import pytest

from common.coords import CRS, from_wgs84, gcj02_to_bd09, to_wgs84, wgs84_to_gcj02
from common.errors import InvalidValue
from common.identifiers import (
    DivisionClass,
    DivisionLevel,
    InvalidDivisionCode,
    division_class,
    division_level,
    mask_name,
    mask_phone,
    mask_resident_id,
    names_organisation,
    normalize_credit_code,
    normalize_division_code,
    normalize_mobile,
    normalize_phone,
    normalize_resident_id,
    parent_code,
)

# (wgs lon, wgs lat, gcj lon, gcj lat): the vectors the eviltransform implementations share.
GCJ_VECTORS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), GCJ_VECTORS)
def test_gcj02_reference_points(lon: float, lat: float, glon: float, glat: float) -> None:
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((glon, glat), abs=1e-9)
    assert to_wgs84(glon, glat, CRS.GCJ02) == pytest.approx((lon, lat), abs=1e-8)


def test_bd09_reference_point() -> None:
    bd = gcj02_to_bd09(121.531541859215, 31.17530398364597)
    assert bd == pytest.approx((121.53801568643858, 31.181328606874466), abs=1e-9)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = math.radians(b[1] - a[1])
    dlon = math.radians(b[0] - a[0]) * math.cos(math.radians(a[1]))
    return 6_371_000 * math.hypot(dlat, dlon)


@pytest.mark.parametrize(
    "point",
    [(111.14, 37.52), (119.92, 28.45), (100.80, 22.01), (116.5, 31.75), (87.6, 43.8)],
)
def test_round_trips_and_offsets(point: tuple[float, float]) -> None:
    for crs in CRS:
        back = to_wgs84(*from_wgs84(*point, crs), crs)
        assert _metres(point, back) < 0.5
    # GCJ-02 moves a point a few hundred metres inside China; BD-09 moves it further.
    gcj = _metres(point, from_wgs84(*point, CRS.GCJ02))
    bd = _metres(point, from_wgs84(*point, CRS.BD09))
    assert 100 < gcj < 700
    assert bd > gcj


def test_no_offset_outside_china() -> None:
    tokyo = (139.6917, 35.6895)
    assert from_wgs84(*tokyo, CRS.GCJ02) == tokyo


@pytest.mark.parametrize(
    ("code", "level", "cls", "parent"),
    [
        ("140000000000", DivisionLevel.PROVINCE, None, None),
        ("141100000000", DivisionLevel.PREFECTURE, None, "140000000000"),
        ("141124000000", DivisionLevel.COUNTY, None, "141100000000"),
        ("141124001000", DivisionLevel.TOWNSHIP, DivisionClass.SUBDISTRICT, "141124000000"),
        ("141124100000", DivisionLevel.TOWNSHIP, DivisionClass.TOWN, "141124000000"),
        ("141124200000", DivisionLevel.TOWNSHIP, DivisionClass.TOWNSHIP, "141124000000"),
        ("141124400000", DivisionLevel.TOWNSHIP, DivisionClass.TOWNSHIP_LIKE, "141124000000"),
        ("141124100001", DivisionLevel.VILLAGE, DivisionClass.RESIDENTS_COMMITTEE, "141124100000"),
        ("141124100201", DivisionLevel.VILLAGE, DivisionClass.VILLAGE_COMMITTEE, "141124100000"),
        ("141124100401", DivisionLevel.VILLAGE, DivisionClass.OTHER, "141124100000"),
    ],
)
def test_division_codes(
    code: str, level: DivisionLevel, cls: DivisionClass | None, parent: str | None
) -> None:
    assert division_level(code) is level
    assert division_class(code) is cls
    assert parent_code(code) == parent


@pytest.mark.parametrize("raw", ["1411", "141124", "141124100"])
def test_short_codes_are_padded(raw: str) -> None:
    assert normalize_division_code(raw) == raw.ljust(12, "0")


@pytest.mark.parametrize(
    "raw", ["14112", "14112410020", "1411241002011", "14112410020x", "001124000000", "１４１１２４"]
)
def test_bad_codes(raw: str) -> None:
    with pytest.raises(InvalidDivisionCode):
        normalize_division_code(raw)


@pytest.mark.parametrize("code", ["140000100000", "141124000201", "140024000000"])
def test_codes_that_skip_a_level(code: str) -> None:
    with pytest.raises(InvalidDivisionCode):
        division_level(code)


def test_mobile_numbers() -> None:
    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
    for bad in ("12800138000", "1380013800", "010-12345678"):
        with pytest.raises(ValueError, match="mobile"):
            normalize_mobile(bad)


def test_phone_numbers_as_dialled_at_home() -> None:
    """Mobiles without a trunk prefix, fixed lines with their area code's 0."""
    assert normalize_phone("+86 138-0013-8000") == "13800138000"
    assert normalize_phone("0086 13800138000") == "13800138000"
    assert normalize_phone("(0351) 123 4567") == "03511234567"
    assert normalize_phone("+86 10 6552 9988") == "01065529988"
    for bad in ("12800138000", "+1 202 555 0123", "+852 2123 4567", "12345", "电话"):
        with pytest.raises(InvalidValue) as refused:
            normalize_phone(bad)
        assert refused.value.code == "invalid_phone"


def test_plain_mobiles_skip_parsing_as_parsing_would() -> None:
    """Eleven digits from 1 are taken as +86 and their own national number without
    ``phonenumbers.parse``: the same number as parsing gives, for every 5-digit prefix
    (every 7-digit one was checked once, 790,000 of them), and the same verdict."""
    import random

    import phonenumbers

    from common.identifiers import _plain_mobile_shape

    rng = random.Random(9)
    for prefix in range(10_000, 20_000):
        raw = f"{prefix}{rng.randrange(1_000_000):06d}"
        if not _plain_mobile_shape(raw):
            continue
        parsed = phonenumbers.parse(raw, "CN")
        assert parsed == phonenumbers.PhoneNumber(country_code=86, national_number=int(raw))
    assert not _plain_mobile_shape("１３８００１３８０００")  # full-width digits are parsed
    assert not _plain_mobile_shape("17951138000")  # a carrier prefix parsing may strip


def test_credit_codes_and_resident_ids() -> None:
    assert normalize_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="credit code"):
        normalize_credit_code("91350100M000100Y44")
    assert normalize_resident_id("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValueError, match="resident ID"):
        normalize_resident_id("110105194912310021")


def test_masks() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("王五") == "王*"


@pytest.mark.parametrize(
    "name",
    ["方山县电子商务运营有限公司", "临县供销合作社", "湾子村村民委员会", "景洪市嘎洒镇人民政府",
     "勐龙镇电子商务服务站", "岩温香农家小卖部", "Yunnan Tea Trading Co., Ltd."],
)  # fmt: skip
def test_names_of_organisations(name: str) -> None:
    assert names_organisation(name)


@pytest.mark.parametrize("name", ["岩温香", "王五", "欧阳修行", "张站", "买买提·艾力", "李 明"])
def test_names_of_people(name: str) -> None:
    # A person's name may end in a character organisations end in (行, 站); when in doubt, a
    # person (masked).
    assert not names_organisation(name)


# GB 32100-2015's check character, written out here from the standard (not python-stdnum's):
# weights 3^(i-1) mod 31 over the first 17 characters' values in the code's alphabet.
_GB32100 = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _with_check(first17: str) -> str:
    total = sum(_GB32100.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + _GB32100[(31 - total % 31) % 31]


# Real-shaped codes of each registration authority (position 1) with a kind of organisation
# under it (position 2), registered in 临县 141124 or 离石区 141102.
AUTHORITIES = {
    "11": "机构编制: 机关",
    "12": "机构编制: 事业单位",
    "21": "外交: 外国常驻新闻机构",
    "31": "司法行政: 律师事务所",
    "41": "文化: 外国在华文化中心",
    "51": "民政: 社会团体",
    "52": "民政: 民办非企业单位",
    "61": "旅游: 外国旅游部门常驻代表机构",
    "71": "宗教: 宗教活动场所",
    "81": "工会: 基层工会",
    "91": "工商: 企业",
    "92": "工商: 个体工商户",
    "93": "工商: 农民专业合作社",
    "A1": "中央军委改革和编制办公室: 军队事业单位",
    "N1": "农业: 组级集体经济组织",
    "N2": "农业: 村级集体经济组织 (common operators of village points)",
    "N3": "农业: 乡镇级集体经济组织",
    "Y1": "其他",
}


def test_credit_codes_of_every_registration_authority() -> None:
    # The village collective of the issue: N2 (村级集体经济组织) in 方山县 141128.
    assert normalize_credit_code("N2141128MA0M7R2K51") == "N2141128MA0M7R2K51"
    for prefix, authority in AUTHORITIES.items():
        for region, organisation in (("141124", "MA0KXG3T"), ("141102", "05672981")):
            code = _with_check(prefix + region + organisation + "5")
            assert normalize_credit_code(code.lower()) == code, authority
            wrong = code[:17] + _GB32100[(_GB32100.index(code[17]) + 1) % 31]
            with pytest.raises(InvalidValue) as caught:
                normalize_credit_code(wrong)
            assert caught.value.code == "invalid_credit_code"
            assert f"应为 {code[17]}" in caught.value.message_zh
    for bad in ("I2141128MA0M7R2K51", "N2141A28MA0M7R2K51", "N2141128MA0M7R2K5", "N214112"):
        with pytest.raises(InvalidValue):
            normalize_credit_code(bad)
