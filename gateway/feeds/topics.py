"""The topics of the merged feed: ``<service>.<topic>``, what a webhook subscription chooses
from (ADR 0084). The services' own lists are the source (``tests/gateway/feeds`` checks that
this one matches them); each entry says in English and Chinese what its events are."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from common.auth import NATION
from common.errors import Unprocessable


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    description_zh: str
    # Whether its events name a division; those that do not reach national scopes only.
    placed: bool = True

    @property
    def service(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def topic(self) -> str:
        return self.name.split(".", 1)[1]


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        Topic("stations.station", "a station registered, changed or moved on in its lifecycle",
              "服务站点登记、变更或状态变化"),
        Topic("stations.monthly_report", "a station's monthly operating report sent or corrected",
              "服务站点月报提交或更正"),
        Topic("stations.division_flag", "a division's flags (poverty county, poor village, "
              "demonstration county) changed", "区划标记(贫困县、贫困村、示范县)变更"),
        Topic("stations.division_list", "the national division list imported again",
              "全国区划代码重新导入", placed=False),
        Topic("logistics.carrier", "a carrier added or changed", "快递物流企业新增或变更",
              placed=False),
        Topic("logistics.depot", "a depot or pickup point changed", "配送中心或网点变更"),
        Topic("logistics.coverage", "a carrier's coverage of a township or village changed",
              "快递对乡镇、村的覆盖变更"),
        Topic("logistics.parcel_volume", "daily parcel volumes recorded or revised",
              "每日快递量登记或修订"),
        Topic("training.session", "a training session planned, changed, held or cancelled",
              "培训班计划、变更、举办或取消"),
        Topic("training.attendance", "a session's attendance counts changed (never a person)",
              "培训班签到人数变化(不含个人信息)", placed=False),
        Topic("training.outcome", "a trainee's follow-up outcome recorded (never a person)",
              "培训后成效登记(不含个人信息)"),
        Topic("programme.target_set", "a policy target set added or changed",
              "政策目标集新增或变更", placed=False),
        Topic("programme.adoption", "a county adopted or dropped a target set",
              "县采用或取消目标集"),
        Topic("programme.county_statistic", "a county statistic recorded or revised",
              "县统计数据登记或修订"),
        Topic("programme.demonstration_county", "a demonstration county recorded or changed",
              "示范县登记或变更"),
        Topic("programme.project", "a demonstration project added, changed or moved on",
              "示范项目新增、变更或状态变化"),
        Topic("programme.milestone", "a project milestone set or reached", "项目里程碑设定或完成"),
        Topic("programme.disbursement", "a payment made or cancelled", "资金拨付或撤销"),
    )
}  # fmt: skip
PING = "ping"


def from_query(values: Sequence[str]) -> list[str]:
    """``topics=a,b`` (or repeated): the distinct names, 422 ``unknown_topic`` on ``topics``
    for one not in the vocabulary."""
    names = sorted({n.strip() for v in values for n in v.split(",") if n.strip()})
    for name in names:
        if name not in TOPICS:
            raise Unprocessable(
                f"unknown topic {name!r}; GET /feeds/v1/topics lists them",
                detail_zh=f"未知的主题 {name!r},可选主题见 GET /feeds/v1/topics",
                code="unknown_topic",
                field="topics",
                location="query",
            )
    return names


def by_service(names: Collection[str]) -> dict[str, set[str]]:
    """``stations.station`` … as each service's feed names them: ``{"stations": {"station"}}``."""
    found: dict[str, set[str]] = {}
    for name in names:
        found.setdefault(TOPICS[name].service, set()).add(TOPICS[name].topic)
    return found


def require_placed(names: Sequence[str], division: str, *, field: str, location: str) -> None:
    """422 ``national_only_topic`` on ``field`` (``{n}`` in it: the topic's place in the
    list) when a scope narrower than the nation asks for a topic whose events name no
    division: it would never receive one."""
    if division == NATION:
        return
    for n, name in enumerate(names):
        if not TOPICS[name].placed:
            raise Unprocessable(
                f"topic {name} names no division: only a national scope receives it",
                detail_zh=f"主题 {name} 不涉及具体区划,仅全国范围可订阅",
                code="national_only_topic",
                field=field.format(n=n),
                location=location,
            )
