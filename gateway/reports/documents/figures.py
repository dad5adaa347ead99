"""A report's content, read from the services the way the registry's dashboards read them
(ADR 0070, 0071): the same routes with the same parameters, the targets measured by the
dashboards' own code, each distinct call made once however many sections use it.

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
from gateway.reports.documents.subjects import DocumentType, Subject, last_day, months_of

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
    and the report's own sections ask for the same network, sales, coverage and training
    figures, and share one answer."""

    answers: dict[tuple[Any, ...], "asyncio.Task[Any]"] = field(default_factory=dict)

    @classmethod
    def over(cls, upstream: Upstream) -> "MemoUpstream":
        return cls(**{f.name: getattr(upstream, f.name) for f in fields(Upstream)})

    async def get(
        self,
        caller: Caller,
        service: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        part: str,
    ) -> Any:
        key = (service, path, tuple(sorted((params or {}).items())))
        task = self.answers.get(key)
        if task is None:
            task = asyncio.ensure_future(
                Upstream.get(self, caller, service, path, params, part=part)
            )
            self.answers[key] = task
        return await task


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
    window = window_of(period, today=last_day(period))
    first, last = period.start, last_day(period)
    months = months_of(period)
    where = {"division": subject.prefix} if subject.prefix else {}
    limit = asyncio.Semaphore(upstream.fanout)

    async def ask(service: str, path: str, params: Mapping[str, Any], part: str) -> Any:
        async with limit:
            return await upstream.get(caller, service, path, params, part=part)

    async def targets() -> tuple[list[v1.TargetResult], list[PartError]]:
        if subject.document is DocumentType.NATION:
            return [], []  # the policies set regional targets; the nation adopts none
        division = Division(subject.code, "", DivisionLevel(subject.level))
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

    calls = {
        "network": ask("stations", "/v1/indicators/network",
                       {**where, "month": _month(months[-1])}, "network"),
        "sales": ask("stations", "/v1/indicators/sales",
                     {**where, "from": _month(first), "to": _month(last)}, "operations"),
        "coverage": ask("logistics", "/v1/indicators/coverage",
                        {**where, "as_of": last.isoformat()}, "logistics"),
        "volumes": ask("logistics", "/v1/indicators/volumes",
                       {**where, "from": _month(first), "to": _month(last)}, "volumes"),
        "training": ask("training", "/v1/indicators/training",
                        {**where, "from": first.isoformat(), "to": last.isoformat()}, "training"),
        "programme": ask("programme", "/v1/indicators/programme",
                         {**where, "from": first.isoformat(), "to": last.isoformat()},
                         "programme"),
        **{
            f"rate {m:%Y-%m}": ask("stations", "/v1/reports/rate",
                                   {**where, "month": _month(m)}, f"reporting {m:%Y-%m}")
            for m in months[:-1]  # the last month's rate comes with the network figures
        },
    }  # fmt: skip
    names = list(calls)
    answers = await asyncio.gather(*calls.values(), targets(), return_exceptions=True)
    found: dict[str, Any] = {}
    errors: list[PartError] = []
    for name, answer in zip(names, answers[:-1], strict=True):
        if isinstance(answer, PartFailed):
            errors.append(answer.error)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            found[name] = answer
    measured = answers[-1]
    if isinstance(measured, BaseException):
        raise measured
    target_rows, target_errors = measured
    errors.extend(target_errors)
    if errors:
        raise _incomplete(subject, errors)
    return _content(subject, period, found, target_rows)


def _incomplete(subject: Subject, errors: list[PartError]) -> Exception:
    network = next((e for e in errors if e.part == "network"), None)
    if network is not None and network.status == 404:
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
    network, sales, coverage = found["network"], found["sales"], found["coverage"]
    training, programme = found["training"], found["programme"]
    rates = {a["month"]: a for k, a in found.items() if k.startswith("rate ")}
    rates[network["reporting"]["month"]] = network["reporting"]
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
            volumes=[
                v1.VolumeMonth(month=m["month"], **_volumes(m)) for m in found["volumes"]["months"]
            ],
            volumes_total=v1.VolumeFigures(**_volumes(found["volumes"]["total"])),
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
