"""What the programme tests share: the principals they act as, on real counties of the
seed regions (方山县 141128 and 临县 141124 in Lüliang, Shanxi; 景洪市 532801 in Yunnan)."""

from collections.abc import Mapping
from typing import Any

import asyncpg
import httpx

from common.auth import NATION, Role
from tests.support import internal_headers

FANGSHAN = "141128000000"  # 方山县, Lüliang
LINXIAN = "141124000000"  # 临县, Lüliang
JINGHONG = "532801000000"  # 景洪市, Yunnan

ADMIN = internal_headers(Role.ADMIN, subject="user:admin")
FANGSHAN_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:fs", division="141128")
LINXIAN_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:lx", division="141124")
SHANXI_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:sx", division="14")
PLATFORM = internal_headers(Role.PLATFORM, subject="platform:mofcom", division=NATION)
OPERATOR = internal_headers(Role.OPERATOR, subject="user:op", station="532801103201-01")
ZH = {"Accept-Language": "zh"}

# Jinghong (景洪市, Yunnan): checked on the Jinghong 2016 fund rules.
MENGLONG = "532801103000"  # 勐龙镇
JINGLONG = "532801103201"  # 景龙村民委员会, in 勐龙镇
MANBING = "532801103202"  # 曼兵村民委员会, in 勐龙镇
FANGSHAN_VILLAGE = "141128100205"  # 班庄村委会, 方山县
JINGHONG_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:jh", division="532801")
YUNNAN_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:yn", division="53")
CREDIT_CODE = "91110000802100433B"


async def demonstration_county(
    programme: httpx.AsyncClient, county: str = JINGHONG, **overrides: Any
) -> dict[str, Any]:
    body = {
        "county_code": county,
        "batch_year": 2016,
        "central_funds": "15000000.00",
        "local_funds": "1500000",
        "programme_start": "2016-10-01",
        "programme_end": "2018-12-31",
        **overrides,
    }
    r = await programme.post("/v1/demonstration-counties", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


def a_project(**overrides: Any) -> dict[str, Any]:
    return {
        "county_code": JINGHONG,
        "name": "村级电子商务服务点建设",
        "category": "village_points",
        "company": {"name": "景洪市电子商务运营有限公司", "credit_code": CREDIT_CODE},
        "responsible": {"name": "岩温香", "phone": "13912345678"},
        "budget": {"central": "900000", "local": "100000"},
        "uses": ["equipment", "renovation"],
        **overrides,
    }


async def project(
    programme: httpx.AsyncClient, headers: Mapping[str, str] = JINGHONG_OFFICIAL, **overrides: Any
) -> dict[str, Any]:
    r = await programme.post("/v1/projects", json=a_project(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def payment(voucher: str, amount: str = "10000", **overrides: Any) -> dict[str, Any]:
    return {
        "paid_on": "2017-03-15",
        "amount": amount,
        "source": "central",
        "payee": "景洪市电子商务运营有限公司",
        "voucher_number": voucher,
        **overrides,
    }


async def insert_session(
    db: asyncpg.Pool, division_code: str = MENGLONG, *, status: str = "held"
) -> int:
    """A training session in the training service's own table, held at ``division_code``."""
    return await db.fetchval(
        """
        INSERT INTO training.training_session
            (level, topic, organiser_name, organiser_code, division_code, address, starts_on,
             ends_on, duration_kind, meals, computer_practice, lodging, funding_source, status,
             version, created_by)
        VALUES ('basic', '农村电商普及培训', '景洪市电子商务培训中心', $1, $2, '勐龙镇文化站',
                DATE '2017-03-01', DATE '2017-03-01', 'one_day', true, true, false, 'central',
                $3, 1, 'test')
        RETURNING id
        """,
        CREDIT_CODE,
        division_code,
        status,
    )


async def report_figures(programme: httpx.AsyncClient) -> None:
    """What a report reads of programme: a demonstration county (景洪) with a project and a
    payment in March 2017; statistics of 2016 and 2017 and adopted targets of 方山."""
    await demonstration_county(programme)
    points = await project(programme, budget={"central": "900000", "local": "100000"})
    r = await programme.post(
        f"/v1/projects/{points['code']}/disbursements",
        json=payment("JH-1", "30000", paid_on="2017-03-10"),
        headers=JINGHONG_OFFICIAL,
    )
    assert r.status_code == 201, r.text
    for year, retail in (("2016", "100000000"), ("2017", "118000000")):
        r = await programme.put(
            f"/v1/counties/141128/statistics/{year}",
            json={"figures": [{"figure": "rural_online_retail", "value": retail,
                               "source": "statistics_bureau"}]},
            headers=FANGSHAN_OFFICIAL,
        )  # fmt: skip
        assert r.status_code == 200, r.text
    r = await programme.put("/v1/counties/141128/adoptions/shanxi-2017", headers=ADMIN)
    assert r.status_code in (200, 201), r.text
