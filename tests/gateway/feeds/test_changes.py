"""``GET /feeds/v1/changes`` through the real gateway in front of the real services: the four
feeds merged for the caller's scope, a cursor that resumes each of them exactly."""

import asyncpg
import httpx

from common.auth import Role
from tests.gateway.conftest import Front, user_headers
from tests.gateway.feeds.support import write_events

EVENTS = [
    ("stations", "station", "141124100201-01", {"code": "141124100201-01"}),  # 临县
    ("stations", "monthly_report", "331102100201-01/2026-11", {"division_code": "331102100201"}),
    ("training", "session", "7", {"id": 7, "division_code": "141124100000"}),
    ("programme", "project", "P-141124-01", {"code": "P-141124-01", "county_code": "141124"}),
    ("programme", "project", "P-331102-01", {"code": "P-331102-01", "county_code": "331102"}),
    ("logistics", "carrier", "zhongtong", {"code": "zhongtong"}),  # no place: national
]


async def _read(gateway: str, headers: dict[str, str], **params: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        return await client.get("/feeds/v1/changes", params=params, headers=headers)


async def test_a_province_sees_its_own_events_of_every_service(
    front: Front, db: asyncpg.Pool
) -> None:
    await write_events(db, EVENTS)
    shanxi = user_headers(Role.PLATFORM, division="14")
    answer = await _read(front.gateway, shanxi)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["partial"] is False
    assert [(e["service"], e["key"]) for e in body["items"]] == [
        ("stations", "141124100201-01"),
        ("training", "7"),
        ("programme", "P-141124-01"),
    ]
    assert [e["division"] for e in body["items"]] == ["141124100201", "141124100000", "141124"]
    # Polling on from the cursor: nothing again, then only what is new.
    again = (await _read(front.gateway, shanxi, after=body["cursor"])).json()
    assert again["items"] == []
    await write_events(db, [("programme", "disbursement", "9", {"id": 9, "county_code": "141102"})])
    new = (await _read(front.gateway, shanxi, after=again["cursor"])).json()
    assert [e["key"] for e in new["items"]] == ["9"]


async def test_national_scope_sees_everything_and_pages_resume_exactly(
    front: Front, db: asyncpg.Pool
) -> None:
    await write_events(db, EVENTS)
    mofcom = user_headers(Role.PLATFORM, division="nation")
    seen: list[str] = []
    after = None
    for _ in range(10):
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (await _read(front.gateway, mofcom, **params)).json()
        seen += [e["key"] for e in page["items"]]
        if not page["items"]:
            break
        after = page["items"][-1]["cursor"]
    assert sorted(seen) == sorted(key for _, _, key, _ in EVENTS)
    assert len(seen) == len(EVENTS)


async def test_a_bad_cursor_is_a_400_naming_after(front: Front) -> None:
    answer = await _read(
        front.gateway,
        user_headers(
            Role.PLATFORM,
            division="14",
        ),
        after="not-a-cursor",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_cursor"
    assert answer.json()["errors"][0]["field"] == "after"


async def test_operators_do_not_follow_the_feeds(front: Front) -> None:
    answer = await _read(front.gateway, user_headers(Role.OPERATOR, station="141124100201-01"))
    assert answer.status_code == 403


async def test_a_topic_filter_keeps_only_those_and_its_cursor_skips_and_repeats_nothing(
    front: Front, db: asyncpg.Pool
) -> None:
    await write_events(db, EVENTS)
    shanxi = user_headers(Role.PLATFORM, division="14")
    topics = "stations.station,programme.project"
    first = await _read(front.gateway, shanxi, topics=topics)
    assert first.status_code == 200, first.text
    assert [e["key"] for e in first.json()["items"]] == ["141124100201-01", "P-141124-01"]
    # Other topics' events come after; a filtered poll moves past them, and resumes exactly.
    noise = [("stations", "monthly_report", f"141124100201-01/2026-0{m}",
              {"division_code": "141124100201"}) for m in range(1, 10)]  # fmt: skip
    await write_events(db, noise)
    (mine,) = await write_events(db, [("stations", "station", "141124100202-01", {})])
    seen: list[str] = []
    after = first.json()["cursor"]
    for _ in range(5):
        page = (await _read(front.gateway, shanxi, topics=topics, after=after, limit=1)).json()
        seen += [e["id"] for e in page["items"]]
        if page["cursor"] == after:
            break
        after = page["cursor"]
    assert seen == [f"evt_stations_{mine}"]
    # The cursor is past the monthly reports of the services it asked; training, never
    # asked under this filter, is still at its start.
    rest = (await _read(front.gateway, shanxi, after=after)).json()
    assert [e["topic"] for e in rest["items"]] == ["session"]


async def test_an_unknown_topic_is_422_naming_topics_in_chinese(front: Front) -> None:
    answer = await _read(
        front.gateway,
        {**user_headers(Role.PLATFORM, division="14"), "Accept-Language": "zh"},
        topics="stations.weather",
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "unknown_topic"
    assert answer.json()["errors"][0]["field"] == "topics"
    assert "未知的主题" in answer.json()["detail"]


async def test_a_national_only_topic_is_422_below_the_nation_and_served_to_it(
    front: Front, db: asyncpg.Pool
) -> None:
    await write_events(db, EVENTS)
    narrow = await _read(
        front.gateway, user_headers(Role.PLATFORM, division="14"), topics="logistics.carrier"
    )
    assert narrow.status_code == 422, narrow.text
    assert narrow.json()["code"] == "national_only_topic"
    assert narrow.json()["errors"][0]["field"] == "topics"
    mofcom = user_headers(Role.PLATFORM, division="nation")
    wide = (await _read(front.gateway, mofcom, topics="logistics.carrier")).json()
    assert [e["key"] for e in wide["items"]] == ["zhongtong"]
