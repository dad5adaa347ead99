"""What a report is of: a division (county, prefecture, province or ``nation``) and a closed
period. Figures of a running period are not final (ADR 0008), so a report is made only once
its period is over in China; a period not begun yet is a different mistake and says so."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from common.auth import NATION
from common.errors import Unprocessable
from common.identifiers import (
    DivisionLevel,
    InvalidDivisionCode,
    division_level,
    division_prefix,
    normalize_division_code,
)
from common.months import china_today
from common.periods import Period, parse_period


class DocumentType(StrEnum):
    COUNTY = "county-report"
    PREFECTURE = "prefecture-report"
    PROVINCE = "province-report"
    NATION = "national-report"


DOCUMENT_TITLES = {
    DocumentType.COUNTY: "县级电子商务进农村报告",
    DocumentType.PREFECTURE: "地级电子商务进农村汇总报告",
    DocumentType.PROVINCE: "省级电子商务进农村汇总报告",
    DocumentType.NATION: "全国电子商务进农村汇总报告",
}
_BY_LEVEL = {
    DivisionLevel.COUNTY: DocumentType.COUNTY,
    DivisionLevel.PREFECTURE: DocumentType.PREFECTURE,
    DivisionLevel.PROVINCE: DocumentType.PROVINCE,
}
_LEVEL_ZH = {DivisionLevel.TOWNSHIP: "乡镇", DivisionLevel.VILLAGE: "村"}


@dataclass(frozen=True)
class Subject:
    """A report's division: ``code`` 12 digits, or ``nation``."""

    code: str
    document: DocumentType

    @property
    def prefix(self) -> str:
        """The code prefix the services count under ('' for the nation)."""
        return "" if self.code == NATION else division_prefix(self.code)

    @property
    def level(self) -> str:
        return "nation" if self.code == NATION else str(division_level(self.code))


def subject_of(raw: str) -> Subject:
    if raw.strip().lower() == NATION:
        return Subject(NATION, DocumentType.NATION)
    try:
        code = normalize_division_code(raw)
        level = division_level(code)
    except InvalidDivisionCode as e:
        raise Unprocessable(
            e.message, detail_zh=e.message_zh, code="invalid_division_code",
            field="division", location="path",
        ) from None  # fmt: skip
    document = _BY_LEVEL.get(level)
    if document is None:
        raise Unprocessable(
            f"{raw} is a {level} code; reports are of a county, prefecture, province or the nation",
            detail_zh=f"{raw} 是{_LEVEL_ZH.get(level, '')}级代码,报告按县、市、省或全国生成",
            code="wrong_division_level",
            field="division",
            location="path",
        )
    return Subject(code, document)


def closed_period(raw: str, today: date | None = None) -> Period:
    """A month, quarter or year that is over in China: a running one is ``period_not_closed``,
    one not begun ``future_period`` (both 422, field ``period``)."""
    today = today or china_today()
    period = parse_period(raw, field="period", location="path", finished=False)
    if period.start > today:
        raise Unprocessable(
            f"period: {period.label} has not begun yet; there is nothing to report",
            detail_zh=f"period:{period.label_zh}尚未开始,没有可报告的数据",
            code="future_period",
            field="period",
            location="path",
        )
    if period.end > today:
        raise Unprocessable(
            f"period: {period.label} is not closed yet; its report can be made from "
            f"{period.end.isoformat()} (China time)",
            detail_zh=f"period:{period.label_zh}尚未结束,{period.end.isoformat()}(北京时间)起可生成报告",
            code="period_not_closed",
            field="period",
            location="path",
        )
    return period


def last_day(period: Period) -> date:
    return period.end - timedelta(days=1)
