"""Rules of monthly operating reports (月度运营报表).

- One report per station and month; a correction is a new revision, every revision is kept.
  Sending the figures the report already has changes nothing (``unchanged``): no revision,
  no event.
- Only for a finished month: the month is judged in China time (Asia/Shanghai), and the
  current month is refused until it is over, because its figures are not final yet
  (``month_not_finished``); a later month is ``future_month``.
- Only for stations that are operating or accepted (``station_not_operating``, 409), and
  not for a month before the station began operating (``before_operating``).
- Figures are non-negative; registered poor households served ≤ households served.
- Who: the station's own operator, officials over its division, admins (``authz``).
The single-report endpoint and the bulk upload go through the same code, so a row of an
upload is judged exactly as the same report sent alone would be.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.authz import require_role
from common.bulk import BulkRow, CsvColumns, RowStatus, Source, read_bulk
from common.changefeed import record_change
from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Problem,
    Unprocessable,
)
from common.etag import check_if_match
from common.months import add_months, current_month
from services.stations import authz
from services.stations.changes.models import StationsChangeEvent
from services.stations.registry import repository as registry_repository
from services.stations.registry.models import ACTIVE_STATUSES, Station
from services.stations.reports import repository
from services.stations.reports.models import FIGURES, MonthlyReport, MonthlyReportRevision
from services.stations.reports.schemas import (
    STATION_CODE,
    BulkReportRow,
    MonthlyReportOut,
    MonthlyReportRevisionOut,
    Outcome,
    ReportBulkResult,
    ReportFigures,
    ReportRowResult,
    format_month,
)

TOPIC = "monthly_report"
BULK_ROLES = frozenset({Role.ADMIN, Role.OFFICIAL, Role.OPERATOR})
_ACTIVE = frozenset(str(s) for s in ACTIVE_STATUSES)


def last_finished_month(now: datetime | None = None) -> date:
    """The latest month a report can be sent for: the default month of the rate."""
    return add_months(current_month(now), -1)


def unfinished_month_problem(
    month: date, *, field: str = "month", location: str = "body", now: datetime | None = None
) -> Problem | None:
    """``future_month`` or ``month_not_finished`` for a month that is not over in China."""
    running = current_month(now)
    if month > running:
        return Unprocessable(
            f"{format_month(month)} is in the future (it is now {format_month(running)} in China)",
            detail_zh=f"{format_month(month)} 尚未到来(当前为 {format_month(running)})",
            code="future_month",
            field=field,
            location=location,
        )
    if month == running:
        return Unprocessable(
            f"{format_month(month)} is not over yet; its report can be sent from "
            f"{format_month(add_months(month, 1))}-01 (China time)",
            detail_zh=f"{format_month(month)} 尚未结束,次月 1 日起方可填报",
            code="month_not_finished",
            field=field,
            location=location,
        )
    return None


def require_finished_month(month: date, *, field: str = "month", location: str = "query") -> None:
    problem = unfinished_month_problem(month, field=field, location=location)
    if problem is not None:
        raise problem


def station_not_found(code: str, *, location: str = "path") -> NotFound:
    return NotFound(
        f"no station {code}",
        detail_zh=f"站点 {code} 不存在",
        code="station_not_found",
        field="station_code",
        location=location,
    )


def check_station_code(code: str, *, location: str = "path") -> str:
    if not STATION_CODE.match(code):
        raise Unprocessable(
            f"{code!r} is not a station code (12-digit division code, '-', 2 digits)",
            detail_zh=f"{code!r} 不是有效的站点编码",
            code="invalid_station_code",
            field="station_code",
            location=location,
        )
    return code


async def get_station(session: AsyncSession, code: str) -> Station:
    station = await repository.station_by_code(session, check_station_code(code))
    if station is None:
        raise station_not_found(code)
    return station


def report_out(station_code: str, report: MonthlyReport) -> MonthlyReportOut:
    return MonthlyReportOut(
        station_code=station_code,
        month=format_month(report.month),
        revision=report.revision,
        submitted_by=report.submitted_by,
        submitted_at=report.submitted_at,
        **{name: getattr(report, name) for name in FIGURES},
    )


@dataclass
class Submission:
    """One report to take: from the single endpoint, or one row of an upload."""

    row: int
    station_code: str
    month: date
    figures: ReportFigures
    line: int | None = None


@dataclass
class SubmissionResult:
    row: int
    line: int | None
    station_code: str | None
    month: date | None
    outcome: Outcome
    revision: int | None = None
    report: MonthlyReport | None = None
    problem: Problem | None = None


@dataclass
class _Plan:
    submission: Submission
    station: Station
    current: MonthlyReport | None
    result: SubmissionResult


def _same_figures(report: MonthlyReport, figures: ReportFigures) -> bool:
    return all(getattr(report, name) == getattr(figures, name) for name in FIGURES)


def _rule_problem(
    principal: Principal, station: Station, submission: Submission, *, location: str
) -> Problem | None:
    """The first rule the submission breaks, in the order a client can fix them."""
    try:
        authz.require_report_submitter(principal, station.code, station.division_code)
    except Forbidden as e:
        return e
    month = submission.month
    problem = unfinished_month_problem(month, location=location)
    if problem is not None:
        return problem
    if station.status not in _ACTIVE:
        return Conflict(
            f"station {station.code} is {station.status}; only operating or accepted "
            "stations send monthly reports",
            detail_zh=f"站点 {station.code} 当前状态为 {station.status},只有运营中或已验收的站点可以填报",
            code="station_not_operating",
            field="station_code",
            location=location,
            station_status=station.status,
        )
    if station.operating_since is not None and month < station.operating_since.replace(day=1):
        since = format_month(station.operating_since)
        return Unprocessable(
            f"station {station.code} began operating in {since}; no report for "
            f"{format_month(month)}",
            detail_zh=f"站点 {station.code} 于 {since} 开始运营,不能填报 {format_month(month)}",
            code="before_operating",
            field="month",
            location=location,
            operating_since=since,
        )
    figures = submission.figures
    if figures.poor_households_served > figures.households_served:
        return Unprocessable(
            f"poor_households_served ({figures.poor_households_served}) exceeds "
            f"households_served ({figures.households_served})",
            detail_zh="服务的建档立卡贫困户数不能多于服务户数",
            code="poor_exceeds_households",
            field="poor_households_served",
        )
    return None


async def submit(
    session: AsyncSession,
    principal: Principal,
    submissions: Sequence[Submission],
    *,
    dry_run: bool = False,
    if_match: str | None = None,
    location: str = "body",
) -> list[SubmissionResult]:
    """Judge each submission on its own and, unless ``dry_run``, write those that pass.

    ``if_match`` is for a single submission: the ETag (revision) the client corrected.
    ``location`` says where station code and month were sent (the single endpoint: path).
    """
    codes = [s.station_code for s in submissions]
    if not dry_run:
        await registry_repository.lock_counties(session, codes, shared=True)
    stations = await repository.stations_by_codes(session, codes, lock=not dry_run)
    keys = [
        (stations[s.station_code].id, s.month) for s in submissions if s.station_code in stations
    ]
    current = await repository.reports_for(session, keys)

    results: list[SubmissionResult] = []
    plans: list[_Plan] = []
    seen: dict[tuple[str, date], int] = {}
    for submission in submissions:
        result = SubmissionResult(
            row=submission.row,
            line=submission.line,
            station_code=submission.station_code,
            month=submission.month,
            outcome="rejected",
        )
        results.append(result)
        station = stations.get(submission.station_code)
        key = (submission.station_code, submission.month)
        if key in seen:
            result.problem = Unprocessable(
                f"row {seen[key]} already reports {submission.station_code} for "
                f"{format_month(submission.month)}",
                detail_zh=f"与第 {seen[key]} 行重复",
                code="duplicate_row",
                field="month",
                first_row=seen[key],
            )
            continue
        seen[key] = submission.row
        if station is None:
            result.problem = station_not_found(submission.station_code, location=location)
            continue
        result.problem = _rule_problem(principal, station, submission, location=location)
        if result.problem is not None:
            continue
        report = current.get((station.id, submission.month))
        if if_match is not None:
            if report is None:
                result.problem = PreconditionFailed(
                    "If-Match names a revision but no report exists for this month yet",
                    detail_zh="该月尚无报表,不能使用 If-Match",
                    code="stale_version",
                    field="If-Match",
                    location="header",
                )
                continue
            try:
                check_if_match(if_match, report.revision)
            except PreconditionFailed as e:
                result.problem = e
                continue
        if report is None:
            result.outcome, result.revision = "created", 1
        elif _same_figures(report, submission.figures):
            result.outcome, result.revision, result.report = "unchanged", report.revision, report
        else:
            result.outcome, result.revision = "revised", report.revision + 1
        plans.append(_Plan(submission, station, report, result))

    if not dry_run:
        await _write(session, principal, [p for p in plans if p.result.outcome != "unchanged"])
    return results


async def _write(session: AsyncSession, principal: Principal, plans: Sequence[_Plan]) -> None:
    if not plans:
        return
    now = await repository.transaction_now(session)
    created: list[MonthlyReport] = []
    for plan in plans:
        figures = plan.submission.figures.model_dump(include=set(FIGURES))
        if plan.current is None:
            report = MonthlyReport(
                station_id=plan.station.id,
                month=plan.submission.month,
                revision=1,
                submitted_by=principal.subject,
                submitted_at=now,
                **figures,
            )
            created.append(report)
        else:
            report = plan.current
            for name, value in figures.items():
                setattr(report, name, value)
            report.revision += 1
            report.submitted_by = principal.subject
            report.submitted_at = now
        plan.result.report = report
    await repository.add_reports(session, created)

    history = []
    for plan in plans:
        report = plan.result.report
        assert report is not None
        history.append(
            MonthlyReportRevision(
                report_id=report.id,
                station_id=report.station_id,
                month=report.month,
                revision=report.revision,
                submitted_by=report.submitted_by,
                submitted_at=report.submitted_at,
                **{name: getattr(report, name) for name in FIGURES},
            )
        )
        out = report_out(plan.station.code, report)
        record_change(
            session,
            StationsChangeEvent,
            topic=TOPIC,
            key=f"{plan.station.code}/{out.month}",
            action=plan.result.outcome,
            version=report.revision,
            payload=out.model_dump(mode="json") | {"division_code": plan.station.division_code},
        )
    await repository.add_revisions(session, history)


async def submit_report(
    session: AsyncSession,
    principal: Principal,
    station_code: str,
    month: date,
    figures: ReportFigures,
    *,
    if_match: str | None,
) -> tuple[Outcome, MonthlyReportOut]:
    """One report from the operator's app; its problem, if any, is raised."""
    [result] = await submit(
        session,
        principal,
        [Submission(row=1, station_code=station_code, month=month, figures=figures)],
        if_match=if_match,
        location="path",
    )
    if result.problem is not None:
        raise result.problem
    assert result.report is not None
    return result.outcome, report_out(station_code, result.report)


async def get_report(session: AsyncSession, station: Station, month: date) -> MonthlyReport:
    report = await repository.report(session, station.id, month)
    if report is None:
        raise NotFound(
            f"station {station.code} has no report for {format_month(month)}",
            detail_zh=f"站点 {station.code} 没有 {format_month(month)} 的报表",
            code="report_not_found",
            field="month",
            location="path",
        )
    return report


async def list_revisions(
    session: AsyncSession, station: Station, month: date
) -> list[MonthlyReportRevisionOut]:
    report = await get_report(session, station, month)
    return [
        MonthlyReportRevisionOut(
            revision=row.revision,
            submitted_by=row.submitted_by,
            submitted_at=row.submitted_at,
            **{name: getattr(row, name) for name in FIGURES},
        )
        for row in await repository.revisions(session, report.id)
    ]


# --- bulk upload ---------------------------------------------------------------------------

# A county's stations report monthly: a few thousand rows at most.
BULK_MAX_ROWS = 5000
CSV_COLUMNS = ("station_code", "month", *FIGURES)
# Other columns (a station name for the reader's convenience …) are ignored.
REPORT_COLUMNS = CsvColumns(
    names=CSV_COLUMNS,
    labels={
        "station_code": "站点编码",
        "month": "月份",
        "upward_amount": "农产品上行金额(元)",
        "upward_orders": "农产品上行订单数",
        "downward_amount": "工业品下行金额(元)",
        "downward_orders": "工业品下行订单数",
        "parcels_in": "代收快递件数",
        "parcels_out": "代发快递件数",
        "households_served": "服务农户数",
        "poor_households_served": "服务建档立卡贫困户数",
    },
    aliases={
        "站点代码": "station_code",
        "服务站编码": "station_code",
        "填报月份": "month",
        "报表月份": "month",
        "统计月份": "month",
        "农产品上行金额": "upward_amount",
        "上行金额": "upward_amount",
        "上行订单数": "upward_orders",
        "工业品下行金额": "downward_amount",
        "下行金额": "downward_amount",
        "下行订单数": "downward_orders",
        "代收件数": "parcels_in",
        "收件数": "parcels_in",
        "代发件数": "parcels_out",
        "寄件数": "parcels_out",
        "服务户数": "households_served",
        "服务贫困户数": "poor_households_served",
        "建档立卡贫困户数": "poor_households_served",
    },
    required=CSV_COLUMNS,
)
_ROW_STATUS: dict[Outcome, RowStatus] = {
    "created": "created",
    "revised": "updated",
    "unchanged": "unchanged",
    "rejected": "rejected",
}


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[BulkReportRow]]:
    """The reports of a bulk upload, one per row, or the problem with the upload."""
    return read_bulk(content_type, body, REPORT_COLUMNS, _report_row, max_rows=BULK_MAX_ROWS)


def _report_row(value: Any, source: Source) -> BulkReportRow:
    """A row of either source is read by the model: it takes the CSV's text as numbers."""
    if not isinstance(value, dict):
        raise Unprocessable(
            "each report is a JSON object",
            detail_zh="每一行报表应为 JSON 对象",
            code="expected_object",
            field="body",
        )
    return BulkReportRow.model_validate(value)


def require_bulk_role(principal: Principal) -> None:
    """Admins and officials upload; an operator may too, for its own station's rows."""
    require_role(principal, BULK_ROLES, doing="send monthly reports", doing_zh="填报月度报表")


def _sent_text(value: Any, name: str) -> str | None:
    """A refused row is named by what it sent, when that was text."""
    sent = value.get(name) if isinstance(value, dict) else None
    return sent if isinstance(sent, str) else None


async def submit_bulk(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[BulkRow[BulkReportRow]],
    *,
    dry_run: bool,
    zh: bool,
) -> ReportBulkResult:
    require_bulk_role(principal)
    outcomes: dict[int, ReportRowResult] = {}
    submissions: list[Submission] = []
    for raw in rows:
        parsed = raw.parsed
        if parsed is not None:
            submissions.append(
                Submission(
                    row=raw.index,
                    line=raw.line,
                    station_code=parsed.station_code,
                    month=parsed.month,
                    figures=ReportFigures.model_validate(parsed.model_dump(include=set(FIGURES))),
                )
            )
            continue
        assert raw.problem is not None
        outcomes[raw.index] = ReportRowResult.rejected(
            raw,
            raw.problem,
            chinese=zh,
            station_code=_sent_text(raw.value, "station_code"),
            month=_sent_text(raw.value, "month"),
        )
    by_index = {raw.index: raw for raw in rows}
    for result in await submit(session, principal, submissions, dry_run=dry_run):
        month = format_month(result.month) if result.month else None
        if result.problem is not None:
            outcomes[result.row] = ReportRowResult.rejected(
                by_index[result.row],
                result.problem,
                chinese=zh,
                station_code=result.station_code,
                month=month,
            )
            continue
        outcomes[result.row] = ReportRowResult(
            index=result.row,
            line=result.line,
            status=_ROW_STATUS[result.outcome],
            station_code=result.station_code,
            month=month,
            revision=result.revision,
        )
    return ReportBulkResult.of([outcomes[raw.index] for raw in rows], dry_run=dry_run)
