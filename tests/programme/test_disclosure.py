"""政务公开: anyone reads a published county's plan, projects and money; nobody reads an
unpublished one; no personal or bank data in either."""

import httpx

from common.auth import Role
from tests.programme.helpers import (
    JINGHONG,
    JINGHONG_OFFICIAL,
    ZH,
    demonstration_county,
    payment,
    project,
)
from tests.support import internal_headers, problem

PUBLIC = internal_headers(Role.PUBLIC, subject="anonymous")


async def test_the_public_reads_only_what_a_county_published(programme: httpx.AsyncClient) -> None:
    await demonstration_county(programme)
    created = await project(programme)
    await programme.post(f"/v1/projects/{created['code']}/disbursements",
                         json=payment("JH-PUB-1", "250000.50"), headers=JINGHONG_OFFICIAL)  # fmt: skip
    await programme.put(f"/v1/counties/{JINGHONG}/adoptions/jinghong-2016",
                        headers=JINGHONG_OFFICIAL)  # fmt: skip
    url = f"/v1/disclosure/{JINGHONG}"
    hidden = await programme.get(url, headers={**PUBLIC, **ZH})
    assert "尚未公开" in problem(hidden, 404, "not_published")["detail"]
    problem(await programme.get(f"{url}/projects", headers=PUBLIC), 404, "not_published")

    await programme.put(f"/v1/demonstration-counties/{JINGHONG}/publication",
                        json={"published": True}, headers=JINGHONG_OFFICIAL)  # fmt: skip
    shown = await programme.get(url, headers=PUBLIC)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["county"]["county_name"] == "景洪市"
    assert [t["code"] for t in body["targets"]] == ["jinghong-2016"]
    assert body["disbursed"]["central"] == "250000.50"
    assert body["projects"] == 1
    listed = await programme.get(f"{url}/projects", headers=PUBLIC)
    assert listed.json()["items"][0]["company"]["name"] == "景洪市电子商务运营有限公司"
    counties = await programme.get("/v1/disclosure", headers=PUBLIC)
    assert [c["county_code"] for c in counties.json()["items"]] == [JINGHONG]
    for text in (shown.text, listed.text, counties.text):
        for secret in ("13912345678", "139****5678", "岩温香", "岩*香", "JH-PUB-1", "responsible",
                       "payee", "voucher"):  # fmt: skip
            assert secret not in text

    # The rest of the ledger is not public.
    for path in (f"/v1/projects/{created['code']}", f"/v1/demonstration-counties/{JINGHONG}/funds"):
        problem(await programme.get(path, headers=PUBLIC), 401, "authentication_required")
