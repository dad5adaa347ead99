"""The carrier catalogue: bundled carriers under both aggregators' codes, admins adding
carriers, carriers keeping their own record."""

import httpx

from common.auth import Role
from tests.logistics.factories import ADMIN, LISHI_OFFICIAL, SF, ZH, ZTO
from tests.support import internal_headers, problem

LOCAL = {
    "code": "lx_gxs",
    "name_zh": "临县供销社配送队",
    "name_en": "Lin County co-operative fleet",
    "kind": "local",
    "aliases": {"kuaidi100": ["lxgxs"]},
}


async def test_the_bundled_catalogue_resolves_both_vocabularies(
    logistics: httpx.AsyncClient,
) -> None:
    r = await logistics.get("/v1/carriers", params={"limit": 100}, headers=ZTO)
    assert r.status_code == 200
    codes = {c["code"] for c in r.json()["items"]}
    assert codes >= {
        "china_post",
        "ems",
        "sf",
        "zto",
        "yto",
        "sto",
        "yunda",
        "jd",
        "jt",
        "best",
        "deppon",
    }
    for name, code in [
        ("youzhengguonei", "china_post"),
        ("YZPY", "china_post"),
        ("EMS", "ems"),
        ("zhongtong", "zto"),
        ("ZTO", "zto"),
        ("huitongkuaidi", "best"),
        ("HTKY", "best"),
        ("debangkuaidi", "deppon"),
        ("JTSD", "jt"),
        ("SF", "sf"),
    ]:
        r = await logistics.get("/v1/carriers/resolve", params={"name": name}, headers=ZTO)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["code"] == code
    r = await logistics.get("/v1/carriers/resolve", params={"name": "wuliu"}, headers=ZTO | ZH)
    body = problem(r, 422, "unknown_carrier", "name")
    assert "未知的快递公司" in body["detail"]
    r = await logistics.get("/v1/carriers/zto", headers=ZTO)
    assert r.headers["etag"] == '"1"'
    assert r.json()["aliases"] == {"kuaidi100": ["zhongtong"], "kdniao": ["ZTO"]}


async def test_admins_add_carriers_and_carriers_keep_their_own_record(
    logistics: httpx.AsyncClient,
) -> None:
    problem(
        await logistics.post("/v1/carriers", json=LOCAL, headers=LISHI_OFFICIAL),
        403,
        "role_forbidden",
    )
    r = await logistics.post("/v1/carriers", json=LOCAL, headers=ADMIN)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/v1/carriers/lx_gxs")
    taken = {**LOCAL, "code": "other_fleet", "aliases": {"kdniao": ["ZhongTong"]}}
    body = problem(
        await logistics.post("/v1/carriers", json=taken, headers=ADMIN), 409, "carrier_code_taken"
    )
    assert body["taken"] == ["zhongtong"]

    own = internal_headers(Role.CARRIER, subject="carrier:lx", carrier="lx_gxs")
    patch = {"credit_code": "91110000802100433B", "service_phone": "0358-4420000"}
    problem(
        await logistics.patch("/v1/carriers/lx_gxs", json=patch, headers=own),
        428,
        "if_match_required",
    )
    r = await logistics.patch("/v1/carriers/lx_gxs", json=patch, headers=own | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["credit_code"] == "91110000802100433B"
    assert r.headers["etag"] == '"2"'
    problem(
        await logistics.patch(
            "/v1/carriers/lx_gxs", json={"kind": "express"}, headers=own | {"If-Match": '"2"'}
        ),
        403,
        "admin_only_fields",
    )
    problem(
        await logistics.patch(
            "/v1/carriers/lx_gxs",
            json={"website": "https://x.example"},
            headers=SF | {"If-Match": '"2"'},
        ),
        403,
        "not_your_carrier",
    )
    problem(
        await logistics.patch(
            "/v1/carriers/lx_gxs", json={"active": False}, headers=ADMIN | {"If-Match": '"1"'}
        ),
        412,
        "stale_version",
    )
    events = (await logistics.get("/v1/changes", params={"topic": "carrier"}, headers=ADMIN)).json()
    assert [(e["key"], e["action"], e["version"]) for e in events["items"]] == [
        ("lx_gxs", "created", 1),
        ("lx_gxs", "updated", 2),
    ]
