"""Webhook subscriptions: a provincial platform subscribes with its client credentials, the
feeds' events of its scope reach its loopback receiver signed (verified with the
``standardwebhooks`` library), through the delivery path report documents take; simulated
time for the outages, the real worker for the restart."""

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from common.auth import Principal, Role
from common.db import make_engine, make_sessionmaker
from gateway.auth import mint_user_token
from gateway.feeds.subscriptions import follower
from gateway.feeds.topics import TOPICS
from gateway.jobs import JobContext
from gateway.settings import GatewaySettings
from tests.deliveries.support import FakeClock, Receiver, next_due, receiver, run_due
from tests.gateway.conftest import Front, user_headers
from tests.gateway.feeds.support import write_events
from tests.jobs.support import eventually, worker_process
from tests.support import JWT_SECRET


def _platform(name: str, division: str) -> dict[str, str]:
    """A development token of a platform (a subject of its own, no client row)."""
    principal = Principal(subject=f"platform:{name}", role=Role.PLATFORM, division=division)
    token = mint_user_token(principal, secret=JWT_SECRET)
    return {"Authorization": f"Bearer {token}"}


SHANXI = _platform("shanxi", "14")
LIN = _platform("lin", "141124")
ADMIN = user_headers(Role.ADMIN)
ZH = {"Accept-Language": "zh"}
LIN_STATION = ("stations", "station", "141124100201-01", {"code": "141124100201-01"})
LIN_PROJECT = (
    "programme",
    "project",
    "P-141124-01",
    {"code": "P-141124-01", "county_code": "141124"},
)
LISHUI_PROJECT = (
    "programme", "project", "P-331102-01", {"code": "P-331102-01", "county_code": "331102"},
)  # fmt: skip
LIN_SESSION = ("training", "session", "7", {"id": 7, "division_code": "141124100000"})
CARRIER = ("logistics", "carrier", "zhongtong", {"code": "zhongtong"})  # no place: national


@pytest.fixture
async def ctx(front: Front, database_url: str) -> AsyncIterator[JobContext]:
    """What the worker gives the reader and the delivery job, on a clock tests move."""
    settings = GatewaySettings(
        database_url=database_url,
        registry_part_timeout=30,
        **{f"{name}_url": url for name, url in front.services.items()},  # type: ignore[arg-type]
    )
    engine = make_engine(database_url, application_name="test-webhooks", pool_size=2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.0)) as http:
        yield JobContext(settings, make_sessionmaker(engine), http, FakeClock())
    await engine.dispose()


async def _subscribe(
    client: httpx.AsyncClient,
    headers: object,
    url: str,
    topics: list[str],
    **extra: str,
) -> tuple[int, str]:
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": url, "topics": topics, **extra},
        headers=headers,  # type: ignore[arg-type]
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["signing_secret"]


async def _follow_from_now(ctx: JobContext) -> None:
    """The reader's first run after a subscription with nothing new: nothing to hand on."""
    assert await follower.follow(ctx) == 0


async def _platform_client(client: httpx.AsyncClient, division: str) -> dict[str, str]:
    """A provincial platform's machine client as an admin makes it, and its token."""
    made = await client.post(
        "/auth/clients",
        json={
            "name": "山西省电子商务公共服务平台",
            "role": "platform",
            "division": division,
            "scopes": ["feeds:read", "webhooks:manage"],
        },
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text
    token = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(made.json()["client_id"], made.json()["client_secret"]),
    )
    assert token.status_code == 200, token.text
    return {
        "Authorization": f"Bearer {token.json()['access_token']}",
        "client_id": made.json()["client_id"],
    }


def _types(r: Receiver) -> dict[str, str]:
    return {wid: json.loads(body)["type"] for wid, body in r.effective.items()}


async def test_a_platform_gets_its_provinces_events_signed_once(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    machine = await _platform_client(client, "14")
    client_id = machine.pop("client_id")
    with receiver("Shanxi") as shanxi:
        sub_id, secret = await _subscribe(
            client, machine, shanxi.url, ["stations.station", "programme.project"]
        )
        shanxi.secrets.append(secret)
        await _follow_from_now(ctx)
        ids = await write_events(db, [LIN_STATION, LIN_PROJECT, LISHUI_PROJECT, LIN_SESSION])
        assert await follower.follow(ctx) == 2
        assert await follower.follow(ctx) == 0  # read once
        assert await run_due(ctx, db) == 2
        assert shanxi.forged == 0
        assert _types(shanxi) == {
            f"evt_stations_{ids[0]}": "stations.station",
            f"evt_programme_{ids[1]}": "programme.project",
        }
        request = shanxi.requests[0]
        Webhook(secret).verify(request["body"], request["headers"], json_parse=False)
        sent = json.loads(request["body"])
        assert sent["data"]["division"] == "141124100201"
        assert request["headers"]["ruralnet-event-type"] == sent["type"]

        # Its deliveries and their attempts, as the platform reads them.
        listed = await client.get(f"/feeds/v1/subscriptions/{sub_id}/deliveries", headers=machine)
        assert listed.status_code == 200, listed.text
        assert {d["status"] for d in listed.json()["items"]} == {"delivered"}
        one = listed.json()["items"][0]
        detail = await client.get(
            f"/feeds/v1/subscriptions/{sub_id}/deliveries/{one['id']}", headers=machine
        )
        assert [a["outcome"] for a in detail.json()["attempt_log"]] == ["delivered"]
        assert json.loads(detail.json()["receipt"])["duplicate"] is False

        # A disabled client's subscriptions receive nothing more.
        read = await client.get(f"/auth/clients/{client_id}", headers=ADMIN)
        disabled = await client.patch(
            f"/auth/clients/{client_id}",
            json={"status": "disabled"},
            headers={**ADMIN, "If-Match": read.headers["ETag"]},
        )
        assert disabled.status_code == 200, disabled.text
        await write_events(db, [LIN_STATION])
        assert await follower.follow(ctx) == 0


async def test_down_for_an_hour_then_every_event_delivered_once_under_one_id(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    with receiver("Shanxi") as shanxi:
        _, secret = await _subscribe(client, SHANXI, shanxi.url, ["stations.station"])
        shanxi.secrets.append(secret)
        await _follow_from_now(ctx)
        (event_id,) = await write_events(db, [LIN_STATION])
        assert await follower.follow(ctx) == 1
        shanxi.status = 503
        start = clock.now
        while (due := await next_due(db)) is not None:
            clock.now = max(clock.now, due)
            if clock.now - start >= timedelta(hours=1):
                shanxi.status = 200
            await run_due(ctx, db)
    assert len(shanxi.requests) == 8  # the schedule of ADR 0082 passes the hour at the 8th
    assert {r["headers"]["webhook-id"] for r in shanxi.requests} == {f"evt_stations_{event_id}"}
    assert list(shanxi.effective) == [f"evt_stations_{event_id}"]
    outcomes = await db.fetch(
        "SELECT outcome FROM gateway.delivery_attempt ORDER BY delivery_id, number"
    )
    assert [o["outcome"] for o in outcomes] == ["retry"] * 7 + ["delivered"]


async def test_410_disables_the_subscription_until_its_owner_enables_it(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi:
        sub_id, secret = await _subscribe(client, SHANXI, shanxi.url, ["stations.station"])
        shanxi.secrets.append(secret)
        await _follow_from_now(ctx)
        await write_events(db, [LIN_STATION])
        await follower.follow(ctx)
        shanxi.status = 410
        await run_due(ctx, db)
        shown = await client.get(f"/feeds/v1/subscriptions/{sub_id}", headers=SHANXI)
        body = shown.json()
        assert (body["status"], body["disabled_reason"]) == ("disabled", "gone")
        assert "410" in body["alert"]
        # While disabled it is handed nothing, and nothing is sent to it.
        await write_events(db, [LIN_STATION])
        assert await follower.follow(ctx) == 0
        assert await run_due(ctx, db) == 0
        shanxi.status = 200
        enabled = await client.patch(
            f"/feeds/v1/subscriptions/{sub_id}",
            json={"status": "active"},
            headers={**SHANXI, "If-Match": shown.headers["ETag"]},
        )
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["alert"] is None
        await write_events(db, [LIN_STATION])
        assert await follower.follow(ctx) == 1
        assert await run_due(ctx, db) == 1
    assert len(shanxi.effective) == 1


async def test_two_readers_at_once_hand_each_event_over_once(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    with receiver("MOFCOM") as mofcom:
        await _subscribe(
            client, ADMIN, mofcom.url, ["logistics.carrier", "stations.station"], division="nation"
        )
        await _follow_from_now(ctx)
        await write_events(db, [LIN_STATION, CARRIER, LIN_STATION])
        handed = await asyncio.gather(follower.follow(ctx), follower.follow(ctx))
    assert sum(handed) == 3
    assert await db.fetchval("SELECT count(*) FROM gateway.delivery") == 3
    assert await db.fetchval("SELECT count(DISTINCT webhook_id) FROM gateway.delivery") == 3


async def test_a_rotated_secret_signs_beside_the_old_one_and_a_ping_replays_under_one_id(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    with receiver("Shanxi") as shanxi:
        sub_id, old = await _subscribe(client, SHANXI, shanxi.url, ["stations.station"])
        rotated = await client.post(
            f"/feeds/v1/subscriptions/{sub_id}/secrets", json={"overlap_hours": 2}, headers=SHANXI
        )
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()["signing_secret"]
        shanxi.secrets.append(old)  # the receiver has not switched yet
        ping = await client.post(f"/feeds/v1/subscriptions/{sub_id}/ping", headers=SHANXI)
        assert ping.status_code == 202, ping.text
        clock = ctx.clock
        assert isinstance(clock, FakeClock)
        clock.advance(timedelta(minutes=1))  # past the ping's wall-clock time
        assert await run_due(ctx, db) == 1
        (request,) = shanxi.requests
        assert len(request["headers"]["webhook-signature"].split(" ")) == 2
        for secret in (old, new):
            Webhook(secret).verify(request["body"], request["headers"], json_parse=False)
        assert json.loads(request["body"])["type"] == "ping"
        replayed = await client.post(
            f"/feeds/v1/subscriptions/{sub_id}/deliveries/{ping.json()['id']}/replay",
            headers=SHANXI,
        )
        assert replayed.status_code == 202, replayed.text
        clock.advance(timedelta(minutes=1))  # past the replay's wall-clock time
        assert await run_due(ctx, db) == 1
    assert [r["headers"]["webhook-id"] for r in shanxi.requests] == [ping.json()["webhook_id"]] * 2
    assert len(shanxi.effective) == 1


async def test_a_platform_sees_only_its_own_subscriptions(client: httpx.AsyncClient) -> None:
    mine, _ = await _subscribe(
        client, SHANXI, "https://ec.shanxi.example.gov.cn/h", ["stations.station"]
    )
    theirs, _ = await _subscribe(client, LIN, "https://lin.example.gov.cn/h", ["stations.station"])
    listed = await client.get("/feeds/v1/subscriptions", headers=SHANXI)
    assert [s["id"] for s in listed.json()["items"]] == [mine]
    assert "signing_secret" not in listed.json()["items"][0]
    for method in ("GET", "DELETE"):
        other = await client.request(
            method, f"/feeds/v1/subscriptions/{theirs}", headers={**SHANXI, "If-Match": '"1"'}
        )
        assert other.status_code == 404, other.text
        assert other.json()["code"] == "subscription_not_found"
    everyone = await client.get("/feeds/v1/subscriptions", headers=ADMIN)
    assert sorted(s["id"] for s in everyone.json()["items"]) == [mine, theirs]
    gone = await client.delete(
        f"/feeds/v1/subscriptions/{mine}", headers={**SHANXI, "If-Match": '"1"'}
    )
    assert gone.status_code == 204


async def test_a_division_outside_the_callers_scope_is_403_naming_division(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": "https://h.example.gov.cn/", "topics": ["stations.station"],
              "division": "33"},
        headers={**SHANXI, **ZH},
    )  # fmt: skip
    assert answer.status_code == 403
    problem = answer.json()
    assert (problem["code"], problem["errors"][0]["field"]) == ("outside_scope", "division")
    assert "不在您的范围" in problem["detail"]


async def test_an_unknown_topic_is_422_naming_it(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": "https://h.example.gov.cn/",
              "topics": ["stations.station", "stations.stations"]},
        headers={**SHANXI, **ZH},
    )  # fmt: skip
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["code"], error["field"]) == ("unknown_topic", "topics.1")
    assert "未知的主题" in error["detail"]


async def test_a_topic_that_is_not_a_string_is_422_naming_it(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": "https://h.example.gov.cn/", "topics": [["stations.station"]]},
        headers={**SHANXI, **ZH},
    )
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == "topics.0"


async def test_a_url_that_is_not_http_is_422_naming_endpoint_url(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": "ftp://h.example.gov.cn/", "topics": ["stations.station"]},
        headers={**SHANXI, **ZH},
    )
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["code"], error["field"]) == ("invalid_endpoint_url", "endpoint_url")
    assert "地址" in error["detail"]


async def test_in_production_a_loopback_or_private_url_is_422_naming_endpoint_url(
    database_url: str,
) -> None:
    from asgi_lifespan import LifespanManager

    from gateway.app import create

    production = GatewaySettings(database_url=database_url).model_copy(
        update={"environment": "production"}
    )
    async with (
        LifespanManager(create(production)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as gateway,
    ):
        for url in ("https://127.0.0.1:9000/hooks", "https://10.1.2.3/hooks", "http://localhost/"):
            answer = await gateway.post(
                "/feeds/v1/subscriptions",
                json={"endpoint_url": url, "topics": ["stations.station"]},
                headers={**SHANXI, **ZH},
            )
            assert answer.status_code == 422, (url, answer.text)
            problem = answer.json()
            assert (problem["code"], problem["errors"][0]["field"]) == (
                "endpoint_not_public",
                "endpoint_url",
            )
            assert "内网" in problem["detail"]


async def test_replaying_a_delivery_of_another_subscription_is_422_naming_delivery_id(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    first, _ = await _subscribe(client, SHANXI, "https://a.example.gov.cn/", ["stations.station"])
    second, _ = await _subscribe(client, SHANXI, "https://b.example.gov.cn/", ["stations.station"])
    ping = await client.post(f"/feeds/v1/subscriptions/{first}/ping", headers=SHANXI)
    delivery = ping.json()["id"]
    await db.execute("UPDATE gateway.delivery SET status = 'delivered' WHERE id = $1", delivery)
    answer = await client.post(
        f"/feeds/v1/subscriptions/{second}/deliveries/{delivery}/replay", headers={**SHANXI, **ZH}
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert (problem["code"], problem["errors"][0]["field"]) == (
        "delivery_of_another_subscription",
        "delivery_id",
    )
    assert "不属于订阅" in problem["detail"]
    # Someone else's subscription's delivery is not even there for them.
    lins, _ = await _subscribe(client, LIN, "https://c.example.gov.cn/", ["stations.station"])
    hidden = await client.post(
        f"/feeds/v1/subscriptions/{lins}/deliveries/{delivery}/replay", headers=LIN
    )
    assert (hidden.status_code, hidden.json()["code"]) == (404, "delivery_not_found")


async def test_the_topics_are_the_services_own(client: httpx.AsyncClient) -> None:
    from services.logistics.changes.router import TOPICS as LOGISTICS
    from services.programme.changes.router import TOPICS as PROGRAMME
    from services.stations.changes.router import TOPICS as STATIONS
    from services.training.changes.router import TOPICS as TRAINING

    services = {
        "stations": STATIONS,
        "logistics": LOGISTICS,
        "training": TRAINING,
        "programme": PROGRAMME,
    }
    assert set(TOPICS) == {f"{s}.{t}" for s, topics in services.items() for t in topics}
    listed = await client.get("/feeds/v1/topics")
    assert listed.status_code == 200
    assert {t["name"] for t in listed.json()} == set(TOPICS)
    assert all(t["description_zh"] for t in listed.json())


# A dead worker's job is taken again once its heartbeat is this old.
FAST_TAKEOVER = {"GATEWAY_JOBS_HEARTBEAT_SECONDS": "2", "GATEWAY_JOBS_POLL_SECONDS": "1"}


async def test_the_worker_follows_the_feeds_and_a_restart_mid_delivery_loses_nothing(
    client: httpx.AsyncClient, ctx: JobContext, front: Front, database_url: str, db: asyncpg.Pool
) -> None:
    """The worker schedules the reader every minute; the test runs the reader itself rather
    than wait for the minute to turn, and the real worker delivers what it handed on."""
    env = {
        **FAST_TAKEOVER,
        **{f"GATEWAY_{name.upper()}_URL": url for name, url in front.services.items()},
    }
    with receiver("Shanxi") as shanxi:
        _, secret = await _subscribe(client, SHANXI, shanxi.url, ["stations.station"])
        shanxi.secrets.append(secret)
        shanxi.hang = True  # takes the request and never answers: the worker waits on it
        await _follow_from_now(ctx)
        (event_id,) = await write_events(db, [LIN_STATION])
        with worker_process(database_url, env=env) as first:
            await eventually(
                lambda: db.fetchval(
                    "SELECT count(*) = 1 FROM gateway.pgqueuer_schedules"
                    " WHERE entrypoint = 'webhooks.follow' AND expression = '* * * * *'"
                ),
                within=60,
            )
            assert await follower.follow(ctx) == 1  # what the schedule's next run does
            assert await asyncio.to_thread(shanxi.arrived.wait, 60), "never sent"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        shanxi.hang = False
        with worker_process(database_url, env=env):
            await eventually(
                lambda: db.fetchval("SELECT bool_and(status = 'delivered') FROM gateway.delivery"),
                within=120,
            )
    attempts = await db.fetch("SELECT outcome FROM gateway.delivery_attempt ORDER BY number")
    assert [a["outcome"] for a in attempts] == ["interrupted", "delivered"]
    assert [r["headers"]["webhook-id"] for r in shanxi.requests] == [f"evt_stations_{event_id}"] * 2
    assert list(shanxi.effective) == [f"evt_stations_{event_id}"]


async def test_a_client_without_webhooks_manage_is_403_insufficient_scope(
    client: httpx.AsyncClient,
) -> None:
    principal = Principal(subject="platform:reader", role=Role.PLATFORM, division="14")
    reader = mint_user_token(principal, secret=JWT_SECRET, scopes=frozenset({"feeds:read"}))
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": "https://h.example.gov.cn/", "topics": ["stations.station"]},
        headers={"Authorization": f"Bearer {reader}", **ZH},
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "insufficient_scope"
    # Reading its (no) subscriptions is a read the feeds scope allows.
    listed = await client.get(
        "/feeds/v1/subscriptions", headers={"Authorization": f"Bearer {reader}"}
    )
    assert listed.status_code == 200
    assert listed.json()["items"] == []


async def test_a_new_subscription_gets_what_happens_from_its_creation_before_any_run(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool
) -> None:
    """ADR 0086: a subscription starts where the feeds are when it is made, whether or not
    the reader has ever run; older events are not sent, newer ones all are."""
    (older,) = await write_events(db, [LIN_STATION])
    assert await db.fetchval("SELECT count(*) FROM gateway.feed_follower") == 0
    with receiver("Shanxi") as shanxi:
        _, secret = await _subscribe(
            client, SHANXI, shanxi.url, ["stations.station", "programme.project"]
        )
        shanxi.secrets.append(secret)
        newer = await write_events(db, [LIN_STATION, LIN_PROJECT])
        assert await follower.follow(ctx) == 2  # the reader's very first run
        assert await run_due(ctx, db) == 2
        # A feed the reader had moved to its head while nobody wanted it: the same.
        _, lin_secret = await _subscribe(client, LIN, shanxi.url, ["training.session"])
        shanxi.secrets.append(lin_secret)
        (session,) = await write_events(db, [LIN_SESSION])
        assert await follower.follow(ctx) == 1
        assert await run_due(ctx, db) == 1
    assert set(shanxi.effective) == {
        f"evt_stations_{newer[0]}",
        f"evt_programme_{newer[1]}",
        f"evt_training_{session}",
    }
    assert f"evt_stations_{older}" not in shanxi.effective


async def test_a_subscription_made_while_the_reader_reads_is_not_passed_over(
    client: httpx.AsyncClient, ctx: JobContext, db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader planned its page before the subscription existed; it stores the page only
    if the subscriptions then present are all served by it, else reads again for them."""
    with receiver("Shanxi") as shanxi:
        await _subscribe(client, SHANXI, shanxi.url, ["stations.station"])
        await _follow_from_now(ctx)
        made: list[int] = []
        heads = follower._heads

        async def subscribe_meanwhile(*args: object) -> dict[str, str]:
            if not made:  # after the reader's plan, before it reads the heads, once
                made.append((await _subscribe(client, LIN, shanxi.url, ["training.session"]))[0])
                await write_events(db, [LIN_SESSION])
            return await heads(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(follower, "_heads", subscribe_meanwhile)
        assert await follower.follow(ctx) == 1
    assert (
        await db.fetchval(
            "SELECT count(*) FROM gateway.delivery WHERE subscription_id = $1", made[0]
        )
        == 1
    )


async def test_a_national_only_topic_is_422_for_a_narrower_division(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/feeds/v1/subscriptions",
        json={"endpoint_url": "http://example.org/h", "topics": ["stations.station",
                                                                 "logistics.carrier"]},
        headers={**SHANXI, **ZH},
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "national_only_topic"
    assert problem["errors"][0]["field"] == "topics.1"
    assert "全国" in problem["detail"]
