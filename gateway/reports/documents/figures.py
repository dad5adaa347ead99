"""A report's content, read from the services in one call to each (ADR 0088): each service
answers everything a report reads of it for the division and period, every part of that
answer exactly what its own indicator route answers (the same statements); the targets are
measured by the dashboards' own code (ADR 0071) over those answers, and only a flow target
counted over a window of its own asks again.

Every figure must be there: a service that fails or refuses makes no document
(``report_incomplete``, 503) rather than a report with holes that is then delivered.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from common.errors import NotFound, ServiceUnavailable
from common.identifiers import DivisionLevel
from common.periods import Period
from gateway.registry.caller import Caller
from gateway.registry.dashboards.service import measure
from gateway.registry.dashboards.targets import Division
from gateway.registry.periods import window_of
from gateway.registry.schemas import PartError
from gateway.registry.upstream import PartFailed, Upstream
from gateway.reports.documents import content_v1 as v1
from gateway.reports.documents.subjects import DocumentType, Subject, last_day

CATEGORY_ZH = {
    "public_service_centre": "县级电子商务公共服务中心",
    "logistics": "县乡村物流配送体系",
    "upward_standards": "农产品标准化、认证",
    "upward_branding": "品牌培育",
    "upward_traceability": "质量追溯",
    "cold_chain": "分级包装、冷链",
    "township_stations": "乡镇电子商务服务站",
    "village_points": "村级电子商务服务点",
    "training": "电子商务培训",
    "other": "其他",
}


@dataclass
class MemoUpstream(Upstream):
    """An :class:`Upstream` that makes each distinct call once: the dashboards' measurement
    asks for the same network, sales, coverage, training and statistics figures as the
    report's own sections, and shares the answers the report's figures calls brought."""

    answers: dict[tuple[Any, ...], "asyncio.Future[Any]"] = field(default_factory=dict)

    @classmethod
    def over(cls, upstream: Upstream) -> "MemoUpstream":
        return cls(**{f.name: getattr(upstream, f.name) for f in fields(Upstream)})

    @staticmethod
    def _key(service: str, path: str, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        return service, path, tuple(sorted((params or {}).items()))

    async def get(
        self,
        caller: Caller,
        service: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        part: str,
    ) -> Any:
        key = self._key(service, path, params)
        answer = self.answers.get(key)
        if answer is None:
            answer = asyncio.ensure_future(
                Upstream.get(self, caller, service, path, params, part=part)
            )
            self.answers[key] = answer
        return await answer

    def remember(
        self, service: str, path: str, params: Mapping[str, Any] | None, answer: Any
    ) -> None:
        """What ``GET path?params`` answers, as part of a larger answer of that service."""
        known: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        known.set_result(answer)
        self.answers[self._key(service, path, params)] = known


def _month(day: Any) -> str:
    return day.strftime("%Y-%m")


def _statuses(counts: Mapping[str, int]) -> v1.StatusCounts:
    names = ("planned", "building", "operating", "accepted", "suspended", "closed")
    values = {n: int(counts.get(n, 0)) for n in names}
    return v1.StatusCounts(**values, total=sum(values.values()))


def _coverage(body: Mapping[str, Any]) -> v1.Coverage:
    return v1.Coverage(covered=body["covered"], total=body["total"], rate=body["rate"])


def _share(body: Mapping[str, Any]) -> v1.Share:
    return v1.Share(reached=body["reached"], total=body["total"], rate=body["rate"])


def _amounts(body: Mapping[str, Any]) -> v1.Amounts:
    return v1.Amounts(**{k: Decimal(str(body[k])) for k in ("central", "local", "social", "total")})


def _operations(figures: Mapping[str, Any]) -> dict[str, Any]:
    names = v1.OperationsFigures.model_fields
    return {k: figures[k] for k in names}


@dataclass(frozen=True)
class Reader:
    """What generation reads with: the services, and who it asks as (the gateway's own
    service principal: a document does not depend on who pressed the button)."""

    upstream: Upstream
    caller: Caller


async def read_content(reader: Reader, subject: Subject, period: Period) -> v1.ReportContent:
    upstream = MemoUpstream.over(reader.upstream)
    caller = reader.caller
    first, last = period.start, last_day(period)
    where = {"division": subject.prefix} if subject.prefix else {}
    # What a report reads of each service, in one call each (``…/indicators/report``; the
    # training indicators are one route already), the four at once: part → the call. Sent
    # in this order, training's first: its statement is the longest, and each call's sending
    # costs the others ~0.25 ms of the gateway's CPU before theirs leaves.
    calls = {
        "training": ("training", "/v1/indicators/training",
                     {**where, "from": first.isoformat(), "to": last.isoformat()}),
        "stations": ("stations", "/v1/indicators/report", {**where, "period": period.label}),
        "logistics": ("logistics", "/v1/indicators/report", {**where, "period": period.label}),
        "programme": ("programme", "/v1/indicators/report", {**where, "period": period.label}),
    }  # fmt: skip
    answers = await asyncio.gather(
        *(
            upstream.get(caller, service, path, params, part=part)
            for part, (service, path, params) in calls.items()
        ),
        return_exceptions=True,
    )
    found: dict[str, Any] = {}
    errors: list[PartError] = []
    for part, answer in zip(calls, answers, strict=True):
        if isinstance(answer, PartFailed):
            errors.append(answer.error)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            found[part] = answer
    if errors:
        raise _incomplete(subject, errors)
    _remember_parts(upstream, subject, period, found)
    targets, target_errors = await _targets(upstream, caller, subject, period)
    if target_errors:
        raise _incomplete(subject, target_errors)
    return _content(subject, period, found, targets)


def _remember_parts(
    upstream: MemoUpstream, subject: Subject, period: Period, found: dict[str, Any]
) -> None:
    """Each part of the figures answers as the answer of its own route, for the targets'
    measurement (``measure`` asks those routes, as the dashboards do)."""
    where = {"division": subject.prefix} if subject.prefix else {}
    first, last = period.start, last_day(period)
    stations, logistics, programme = found["stations"], found["logistics"], found["programme"]
    parts = [
        ("stations", "/v1/indicators/network", {"month": _month(last)}, stations["network"]),
        ("stations", "/v1/indicators/sales", {"from": _month(first), "to": _month(last)},
         stations["sales"]),
        ("logistics", "/v1/indicators/coverage", {"as_of": last.isoformat()},
         logistics["coverage"]),
        ("programme", "/v1/indicators/statistics", {"period": period.label},
         programme["statistics"]),
    ]  # fmt: skip
    for service, path, params, answer in parts:
        upstream.remember(service, path, {**where, **params}, answer)
    if programme["targets"] is not None:
        upstream.remember(
            "programme", f"/v1/counties/{subject.code}/targets", None, programme["targets"]
        )


async def _targets(
    upstream: Upstream, caller: Caller, subject: Subject, period: Period
) -> tuple[list[v1.TargetResult], list[PartError]]:
    """The division's targets, measured by the dashboards' own code: what the figures calls
    answered is not asked again; a flow target counted over a window of its own is."""
    if subject.document is DocumentType.NATION:
        return [], []  # the policies set regional targets; the nation adopts none
    division = Division(subject.code, "", DivisionLevel(subject.level))
    window = window_of(period, today=last_day(period))
    rows, errors = await measure(upstream, caller, [division], window)
    return [
        v1.TargetResult(
            target_set=t.target_set,
            target_set_title=t.target_set_title,
            indicator=t.indicator,
            indicator_name=t.indicator_name_zh,
            unit=t.unit.value,
            comparator=t.comparator,
            target=t.target,
            deadline=t.deadline,
            counted_from=t.counted_from,
            counted_to=t.counted_to,
            value=t.value,
            gap=t.gap,
            status=t.status,
            status_zh=t.status_zh,
        )
        for t in rows[0].targets
    ], errors


def _incomplete(subject: Subject, errors: list[PartError]) -> Exception:
    stations = next((e for e in errors if e.part == "stations"), None)
    if stations is not None and stations.status == 404:
        return NotFound(
            f"no division {subject.code}",
            detail_zh=f"没有区划 {subject.code}",
            code="division_not_found",
            field="division",
            location="path",
        )
    parts = ", ".join(sorted({f"{e.part} ({e.service}: {e.code})" for e in errors}))
    return ServiceUnavailable(
        f"the report cannot be made complete now: {parts}; retry later",
        detail_zh=f"暂时无法取得报告的全部数据:{parts};请稍后重试",
        code="report_incomplete",
        headers={"Retry-After": "30"},
    )


def _content(
    subject: Subject, period: Period, found: dict[str, Any], targets: list[v1.TargetResult]
) -> v1.ReportContent:
    network, sales = found["stations"]["network"], found["stations"]["sales"]
    coverage, volumes = found["logistics"]["coverage"], found["logistics"]["volumes"]
    training, programme = found["training"], found["programme"]["progress"]
    rates = {r["month"]: r for r in found["stations"]["reporting"]}
    tiers = network["stations"]["by_tier"]
    by_kind = coverage["depots"]["by_kind"]
    levels = training["by_level"]
    projects = {
        k: int(programme["projects"].get(k, 0))
        for k in ("planned", "in_progress", "completed", "accepted", "cancelled")
    }
    division = network["division"]
    return v1.ReportContent(
        document=subject.document.value,
        version=1,
        division=v1.DivisionRef(code=division["code"], name=division["name"], level=subject.level),
        period=v1.PeriodRef(
            label=period.label, kind=period.kind.value, first=period.start, last=last_day(period)
        ),
        network=v1.Network(
            stations=network["stations"]["total"],
            by_tier=v1.TierCounts(
                **{t: _statuses(tiers.get(t, {})) for t in v1.TierCounts.model_fields}
            ),
            by_status=_statuses(network["stations"]["by_status"]),
            township_coverage=_coverage(network["township_coverage"]),
            village_coverage=_coverage(network["village_coverage"]),
            poor_village_coverage=_coverage(network["poor_village_coverage"]),
            targets=targets,
        ),
        operations=v1.Operations(
            months=[
                v1.OperationsMonth(
                    month=m["month"],
                    **_operations(m),
                    expected=rates[m["month"]]["expected"],
                    reported=rates[m["month"]]["reported"],
                    reporting_rate=rates[m["month"]]["rate"],
                )
                for m in sales["months"]
            ],
            total=v1.OperationsFigures(**_operations(sales["total"])),
        ),
        logistics=v1.Logistics(
            as_of=coverage["as_of"],
            township_coverage=_share(coverage["township_coverage"]),
            village_points_with_carrier=_share(coverage["village_points_with_carrier"]),
            townships_with_hub=_share(coverage["townships_with_hub"]),
            depots=v1.Depots(
                active=coverage["depots"]["active"],
                county_centre=by_kind.get("county_centre", 0),
                township_hub=by_kind.get("township_hub", 0),
                village_pickup=by_kind.get("village_pickup", 0),
                shared=coverage["depots"]["shared"],
            ),
            volumes=[v1.VolumeMonth(month=m["month"], **_volumes(m)) for m in volumes["months"]],
            volumes_total=v1.VolumeFigures(**_volumes(volumes["total"])),
        ),
        training=v1.Training(
            people_times=training["people_times"],
            persons=training["persons"],
            person_days=Decimal(str(training["person_days"])),
            poor_household_people_times=training["poor_household_people_times"],
            poor_household_persons=training["poor_household_persons"],
            by_level=v1.TrainingLevels(
                **{
                    lv: v1.LevelCounts(**levels.get(lv, {"people_times": 0, "persons": 0}))
                    for lv in v1.TrainingLevels.model_fields
                }
            ),
            villages_with_trained_person=v1.Coverage(
                covered=training["villages_with_trained_person"]["count"],
                total=training["villages_with_trained_person"]["of"],
                rate=training["villages_with_trained_person"]["rate"],
            ),
            subsidies_due=Decimal(str(training["subsidies_due"])),
        ),
        programme=v1.Programme(
            demonstration_counties=programme["demonstration_counties"],
            allocated=v1.Amounts(
                central=Decimal(programme["allocated"]["central"]),
                local=Decimal(programme["allocated"]["local"]),
                social=Decimal(0),
                total=Decimal(programme["allocated"]["central"])
                + Decimal(programme["allocated"]["local"]),
            ),
            projects=v1.ProjectCounts(**projects, total=sum(projects.values())),
            milestones=v1.Milestones(**programme["milestones"]),
            planned=_amounts(programme["planned"]),
            disbursed=_amounts(programme["disbursed"]),
            disbursed_in_period=Decimal(programme["disbursed_in_period"]),
            by_category=[
                v1.CategoryFunds(
                    category=c["category"],
                    category_name=CATEGORY_ZH.get(c["category"], c["category"]),
                    projects=c["projects"],
                    planned=Decimal(c["planned"]["total"]),
                    disbursed=Decimal(c["disbursed"]["total"]),
                    disbursed_in_period=Decimal(c["disbursed_in_period"]),
                )
                for c in programme["by_category"]
            ],
            breaches=v1.Breaches(
                total=programme["breaches"]["total"],
                counties=programme["breaches"]["counties"],
                by_rule=[v1.BreachCount(**b) for b in programme["breaches"]["by_rule"]],
            ),
        ),
    )


def _volumes(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "outbound_parcels": m["outbound_parcels"],
        "outbound_weight_kg": Decimal(str(m["outbound_weight_kg"])),
        "inbound_parcels": m["inbound_parcels"],
        "inbound_weight_kg": Decimal(str(m["inbound_weight_kg"])),
    }
