"""The gateway's write routes in the authorization matrix (see ``tests/authz``).

Its own routes (``/auth/…``, ``/registry/…``, …) join as ``Write`` entries like a service's.
Forwarding to the services is no route but an ASGI layer in front of them (ADR 0013); it is
checked with every service write route behind it
(``test_the_gateway_lets_no_unauthenticated_write_through``).

Accounts and clients a write acts on are written straight into the gateway's tables by the
setups (ids fixed, since ``ok_as`` is fixed when the table is built).
"""

from pwdlib import PasswordHash

from common.auth import Principal, Role
from common.fieldcrypt import FieldCipher
from common.months import add_months, current_month
from gateway.identity.phones import PhoneIndex
from gateway.identity.tokens import USER_ROLES, digest
from gateway.reports.deliveries.secrets import CONTEXT
from tests.authz import Context, SignIn, Write, roles, stations
from tests.stations.factories import figures
from tests.support import FIELD_KEY, FIELD_KEY_ID, PHONE_INDEX_KEY

LIN = "141124"  # 临县
LIN_TOWNSHIP = "141124100"
ACCOUNT = 1000
CLIENT = "rn-00000000000003e8"
SECRET = 1000
PASSWORD = "current phrase 2024"

LIN_OFFICIAL = Principal(subject="official:lin", role=Role.OFFICIAL, division=LIN)
ADMIN = Principal(subject="admin:matrix", role=Role.ADMIN)
MANAGERS = roles(Role.ADMIN, Role.OFFICIAL)
EVERYONE = frozenset(USER_ROLES)


def _last_month() -> str:
    """A closed month, when the test runs (a report of a running one is refused)."""
    return f"{add_months(current_month(), -1):%Y-%m}"


async def township_official(ctx: Context) -> None:
    """Account 1000: an official of a township of 临县, with ``PASSWORD``."""
    await ctx.db.execute(
        """
        INSERT INTO gateway.user_account
            (id, phone_index, phone_masked, display_name, role, division, password_hash,
             created_by)
        VALUES ($1, $2, '139****1000', '乡镇干部', 'official', $3, $4, 'test')
        """,
        ACCOUNT,
        PhoneIndex(PHONE_INDEX_KEY)("13900001000"),
        LIN_TOWNSHIP,
        PasswordHash.recommended().hash(PASSWORD),
    )


async def carrier_client(ctx: Context) -> None:
    """Client ``CLIENT`` (a carrier) with secret 1000."""
    await ctx.db.execute(
        """
        INSERT INTO gateway.machine_client (client_id, name, role, carrier, scopes, created_by)
        VALUES ($1, '中通快递', 'carrier', 'zhongtong', '{coverage:write}', 'test')
        """,
        CLIENT,
    )
    await ctx.db.execute(
        "INSERT INTO gateway.client_secret (id, client_id, secret_hash, hint, created_by) "
        "VALUES ($1, $2, $3, 'cs_test', 'test')",
        SECRET,
        CLIENT,
        digest("cs_matrix"),
    )


TARGET = 1000
DELIVERY = 1000


async def report_target(ctx: Context) -> None:
    """Target ``TARGET`` (a provincial platform), with a delivered delivery ``DELIVERY``."""
    await ctx.db.execute(
        """
        INSERT INTO gateway.delivery_target
            (id, name, kind, endpoint_url, division, document_types, periods, schedule_day,
             schedule_time, schedule_timezone, next_run_at, created_by)
        VALUES ($1, '山西省平台', 'province', 'https://ec.shanxi.example.gov.cn/reports', '14',
                '{county-report}', '{month}', 5, '02:00', 'Asia/Shanghai', now(), 'test')
        """,
        TARGET,
    )
    await ctx.db.execute(
        """
        INSERT INTO gateway.delivery
            (id, target_id, revision_id, webhook_id, document_type, division, period, status,
             attempts)
        VALUES ($1, $2, 1, 'rev_1', 'county-report', '141124000000', '2026-11', 'delivered', 1)
        """,
        DELIVERY,
        TARGET,
    )


SUBSCRIPTION = 1000
SHANXI_PLATFORM = Principal(subject="platform:shanxi", role=Role.PLATFORM, division="14")


async def webhook_subscription(ctx: Context) -> None:
    """Subscription ``SUBSCRIPTION`` of Shanxi's platform, with a delivered ping ``DELIVERY``."""
    await ctx.db.execute(
        """
        INSERT INTO gateway.webhook_subscription
            (id, owner, endpoint_url, division, topics)
        VALUES ($1, $2, 'https://ec.shanxi.example.gov.cn/hooks', '14', '{stations.station}')
        """,
        SUBSCRIPTION,
        SHANXI_PLATFORM.subject,
    )
    sealed = FieldCipher({FIELD_KEY_ID: FIELD_KEY}, FIELD_KEY_ID).encrypt(
        "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", context=CONTEXT
    )
    await ctx.db.execute(
        "INSERT INTO gateway.signing_secret (subscription_id, sealed, hint, created_by) "
        "VALUES ($1, $2, 'whsec_QUJDRE', 'test')",
        SUBSCRIPTION,
        sealed,
    )
    await ctx.db.execute(
        "INSERT INTO gateway.webhook_event (id, webhook_id, event_type, occurred_at, body) "
        "VALUES ($1, 'ping_1', 'ping', now(), '{}')",
        DELIVERY,
    )
    await ctx.db.execute(
        """
        INSERT INTO gateway.delivery
            (id, subscription_id, event_id, webhook_id, event_type, status, attempts)
        VALUES ($1, $2, $1, 'ping_1', 'ping', 'delivered', 1)
        """,
        DELIVERY,
        SUBSCRIPTION,
    )


# Platforms manage their own (another's is 404 to them), inside their scope; admins all.
_SUBSCRIBERS = roles(Role.ADMIN, Role.PLATFORM)
_OWN_SUBSCRIPTION = {
    "allowed": _SUBSCRIBERS,
    "ok_as": SHANXI_PLATFORM,
    "path": {"subscription_id": SUBSCRIPTION},
    "setup": webhook_subscription,
    "division": "140000000000",
    "hides": True,
}

ROUTES = {
    ("POST", "/feeds/v1/subscriptions"): Write(
        allowed=_SUBSCRIBERS,
        ok_as=SHANXI_PLATFORM,
        success=201,
        body={
            "endpoint_url": "https://ec.shanxi.example.gov.cn/hooks",
            "topics": ["stations.station"],
            "division": "14",
        },
        division="140000000000",
    ),
    ("PATCH", "/feeds/v1/subscriptions/{subscription_id}"): Write(
        success=200,
        body={"topics": ["stations.station", "programme.project"]},
        headers={"If-Match": '"1"'},
        **_OWN_SUBSCRIPTION,
    ),
    ("DELETE", "/feeds/v1/subscriptions/{subscription_id}"): Write(
        success=204, headers={"If-Match": '"1"'}, **_OWN_SUBSCRIPTION
    ),
    ("POST", "/feeds/v1/subscriptions/{subscription_id}/secrets"): Write(
        success=201, body={"overlap_hours": 24}, **_OWN_SUBSCRIPTION
    ),
    ("POST", "/feeds/v1/subscriptions/{subscription_id}/ping"): Write(
        success=202, **_OWN_SUBSCRIPTION
    ),
    ("POST", "/feeds/v1/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay"): Write(
        success=202,
        **{**_OWN_SUBSCRIPTION, "path": {"subscription_id": SUBSCRIPTION, "delivery_id": DELIVERY}},
    ),
    ("POST", "/reports/v1/targets"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=201,
        body={
            "name": "山西省电子商务公共服务平台",
            "kind": "province",
            "endpoint_url": "https://ec.shanxi.example.gov.cn/reports",
            "division": "14",
            "document_types": ["county-report"],
        },
    ),
    ("PATCH", "/reports/v1/targets/{target_id}"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=200,
        path={"target_id": TARGET},
        body={"name": "山西省电子商务公共服务平台"},
        headers={"If-Match": '"1"'},
        setup=report_target,
    ),
    ("POST", "/reports/v1/targets/{target_id}/secrets"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=201,
        path={"target_id": TARGET},
        body={"overlap_hours": 24},
        setup=report_target,
    ),
    ("POST", "/reports/v1/targets/{target_id}/deliveries/{delivery_id}/replay"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=202,
        path={"target_id": TARGET, "delivery_id": DELIVERY},
        setup=report_target,
    ),
    ("POST", "/reports/v1/documents/{division}/{period}"): Write(
        allowed=MANAGERS,
        ok_as=LIN_OFFICIAL,
        success=201,
        path={"division": LIN, "period": _last_month},
        division=f"{LIN}000000",
    ),
    ("POST", "/auth/token"): SignIn(tested_in="tests/identity"),
    ("POST", "/auth/logout"): Write(allowed=EVERYONE, ok_as=ADMIN, success=204),
    ("PUT", "/auth/me/password"): Write(
        allowed=EVERYONE,  # a person's own password; machines and others get 403 not_a_user
        ok_as=Principal(subject=f"user:{ACCOUNT}", role=Role.OFFICIAL, division=LIN_TOWNSHIP),
        success=204,
        body={"current_password": PASSWORD, "new_password": "a brand new phrase"},
        setup=township_official,
    ),
    ("POST", "/auth/users"): Write(
        allowed=MANAGERS,
        ok_as=LIN_OFFICIAL,
        success=201,
        body={
            "phone": "13900002000",
            "display_name": "乡镇干部",
            "role": "official",
            "division": LIN_TOWNSHIP,
            "password": "township bureau 2024",
        },
        division=f"{LIN_TOWNSHIP}000",
    ),
    ("PATCH", "/auth/users/{user_id}"): Write(
        allowed=MANAGERS,
        ok_as=LIN_OFFICIAL,
        success=200,
        path={"user_id": ACCOUNT},
        body={"status": "disabled"},
        headers={"If-Match": '"1"'},
        setup=township_official,
        division=f"{LIN_TOWNSHIP}000",
        hides=True,
    ),
    ("PUT", "/auth/users/{user_id}/password"): Write(
        allowed=MANAGERS,
        ok_as=LIN_OFFICIAL,
        success=204,
        path={"user_id": ACCOUNT},
        body={"password": "a brand new phrase"},
        setup=township_official,
        division=f"{LIN_TOWNSHIP}000",
        hides=True,
    ),
    ("POST", "/auth/clients"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=201,
        body={
            "name": "中通快递",
            "role": "carrier",
            "carrier": "zhongtong",
            "scopes": ["coverage:write"],
        },
    ),
    ("PATCH", "/auth/clients/{client_id}"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=200,
        path={"client_id": CLIENT},
        body={"scopes": ["coverage:write", "volumes:write"]},
        headers={"If-Match": '"1"'},
        setup=carrier_client,
    ),
    ("POST", "/auth/clients/{client_id}/secrets"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=201,
        path={"client_id": CLIENT},
        body={"overlap_hours": 24},
        setup=carrier_client,
    ),
    ("DELETE", "/auth/clients/{client_id}/secrets/{secret_id}"): Write(
        allowed=roles(Role.ADMIN),
        ok_as=ADMIN,
        success=204,
        path={"client_id": CLIENT, "secret_id": SECRET},
        setup=carrier_client,
    ),
    # Its answer is the upload route's, as CSV: who may send it is that route's rule.
    ("POST", "/registry/v1/exports/uploads/{upload:path}"): Write(
        allowed=stations.REPORTERS,
        ok_as=LIN_OFFICIAL,
        success=200,
        path={"upload": "stations/v1/reports/bulk"},
        body=lambda: [
            {"station_code": stations.REPORTING, "month": stations.last_month(), **figures()}
        ],
        setup=stations.operating,
        division=stations.LIN_VILLAGE,
        station=stations.REPORTING,
        per_row=True,
    ),
    # XLSX exports: a job with an owner, so signed-in callers only; the lists' own rules
    # decide what they may read (the station list and gap lists are public records).
    ("POST", "/registry/v1/exports/stations.xlsx"): Write(
        allowed=EVERYONE, ok_as=LIN_OFFICIAL, success=202
    ),
    ("POST", "/registry/v1/exports/gaps/{kind}.xlsx"): Write(
        allowed=EVERYONE, ok_as=LIN_OFFICIAL, success=202, path={"kind": "points-without-carrier"}
    ),
    ("POST", "/registry/v1/exports/dashboards/{division}.xlsx"): Write(
        allowed=roles(Role.ADMIN, Role.OFFICIAL, Role.PLATFORM),
        ok_as=LIN_OFFICIAL,
        success=202,
        path={"division": LIN},
        division=f"{LIN}000000",
    ),
}
