"""A county's payments in one upload: the finance bureau's voucher list (资金拨付明细) as a
JSON array, NDJSON or the CSV Excel saves, each row judged exactly as the single endpoint
judges it (``service.record``), one bad row never failing the others.

Each row runs in a savepoint of the request's transaction; the county's fund rules are
checked once after the last row rather than once per row. A dry run rolls everything back.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.bulk import BulkResult, BulkRow, BulkRowResult, CsvColumns, Source, read_bulk
from common.cells import AmountCell, DateCell, normalize_text
from common.errors import Problem, Unprocessable, invalid
from common.fields import MONEY_DIGITS, MONEY_PLACES, Name, Text
from services.programme.disbursements import service
from services.programme.disbursements.schemas import DisbursementIn
from services.programme.funds.check import recheck_county
from services.programme.ledger.models import SOURCE_ZH, USE_ZH, FundSource, FundUse
from services.programme.projects.schemas import PROJECT_CODE_PATTERN, StationCode
from services.programme.projects.service import authorize_write

# A county's payments of a programme are hundreds to a few thousand; each row is checked
# against its project's remaining budget, so the limit is set by the time a row takes.
MAX_ROWS = 2000
_SOURCES = {v: k for k, v in SOURCE_ZH.items()} | {
    "中央": FundSource.CENTRAL,
    "中央财政": FundSource.CENTRAL,
    "地方": FundSource.LOCAL,
    "地方财政": FundSource.LOCAL,
    "地方配套资金": FundSource.LOCAL,
    "企业自筹": FundSource.SOCIAL,
    "社会资本": FundSource.SOCIAL,
}
_USES = {v: k for k, v in USE_ZH.items()}


def _named(names: dict[str, Any]) -> Any:
    """An enum cell written as its value or as its Chinese name."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            text = normalize_text(value)
            return names.get(text, text)
        return value

    return parse


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise invalid("non_positive_amount", "must be more than ¥0", "金额必须大于 0 元")
    return value.quantize(Decimal("0.01"))


class BulkDisbursementRow(BaseModel):
    """One payment of an upload: the fields of ``DisbursementIn`` and its project's code."""

    model_config = ConfigDict(extra="forbid")

    project: Annotated[str, Field(pattern=PROJECT_CODE_PATTERN, examples=["141128-001"])]
    paid_on: DateCell = Field(json_schema_extra={"type": "string", "examples": ["2018-03-15"]})
    amount: Annotated[
        AmountCell,
        Field(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES),
        AfterValidator(_positive),
    ] = Field(json_schema_extra={"type": "string", "examples": ["30,000.00"]})
    source: Annotated[FundSource, BeforeValidator(_named(_SOURCES))]
    payee: Name
    voucher_number: Name
    use: Annotated[FundUse | None, BeforeValidator(_named(_USES))] = None
    station_code: StationCode | None = None
    note: Text | None = None


COLUMNS = CsvColumns(
    names=tuple(BulkDisbursementRow.model_fields),
    labels={
        "project": "项目编号",
        "paid_on": "拨付日期",
        "amount": "拨付金额(元)",
        "source": "资金来源",
        "payee": "收款单位",
        "voucher_number": "凭证号",
        "use": "资金用途",
        "station_code": "站点编码",
        "note": "备注",
    },
    aliases={"项目代码": "project", "金额": "amount", "凭证编号": "voucher_number"},
    required=("project", "paid_on", "amount", "source", "payee", "voucher_number"),
    refuse_unknown=True,
)


class DisbursementRowResult(BulkRowResult):
    project: str | None = Field(default=None, examples=["141128-001"])
    voucher_number: str | None = Field(default=None, examples=["方财拨〔2018〕0315-07"])
    disbursement: int | None = Field(default=None, description="its id (absent on dry runs)")


class DisbursementBulkResult(BulkResult[DisbursementRowResult]):
    """The answer to a payment upload."""


def _row(value: Any, source: Source) -> BulkDisbursementRow:
    if not isinstance(value, dict):
        raise Unprocessable(
            "each payment is a JSON object",
            detail_zh="每一行拨付记录应为 JSON 对象",
            code="expected_object",
            field="body",
        )
    return BulkDisbursementRow.model_validate(value)


def read_upload(content_type: str | None, body: bytes) -> list[BulkRow[BulkDisbursementRow]]:
    return read_bulk(content_type, body, COLUMNS, _row, max_rows=MAX_ROWS)


def _sent(value: Any, name: str) -> str | None:
    sent = value.get(name) if isinstance(value, dict) else None
    return sent if isinstance(sent, str) else None


async def upload(
    session: AsyncSession,
    county_code: str,
    rows: Sequence[BulkRow[BulkDisbursementRow]],
    principal: Principal,
    *,
    dry_run: bool,
    zh: bool,
) -> DisbursementBulkResult:
    authorize_write(principal, county_code)
    results: list[DisbursementRowResult] = []
    outer = await session.begin_nested() if dry_run else None
    for raw in rows:
        parsed = raw.parsed
        if parsed is None:
            assert raw.problem is not None
            results.append(
                DisbursementRowResult.rejected(
                    raw,
                    raw.problem,
                    chinese=zh,
                    project=_sent(raw.value, "project"),
                    voucher_number=_sent(raw.value, "voucher_number"),
                )
            )
            continue
        try:
            async with session.begin_nested():
                if not parsed.project.startswith(county_code[:6]):
                    raise Unprocessable(
                        f"project {parsed.project} is not one of county {county_code}'s",
                        detail_zh=f"项目 {parsed.project} 不属于 {county_code}",
                        code="project_in_other_county",
                        field="project",
                    )
                payment = DisbursementIn.model_validate(parsed.model_dump(exclude={"project"}))
                done = await service.record(
                    session, parsed.project, payment, principal, recheck=False
                )
        except Problem as problem:
            results.append(
                DisbursementRowResult.rejected(
                    raw,
                    problem,
                    chinese=zh,
                    project=parsed.project,
                    voucher_number=parsed.voucher_number,
                )
            )
            continue
        results.append(
            DisbursementRowResult(
                index=raw.index,
                line=raw.line,
                status="created",
                project=parsed.project,
                voucher_number=parsed.voucher_number,
                disbursement=None if dry_run else done.disbursement.id,
            )
        )
    if outer is not None:
        await outer.rollback()
    elif any(r.status == "created" for r in results):
        await recheck_county(session, county_code)
    return DisbursementBulkResult.of(results, dry_run=dry_run)
