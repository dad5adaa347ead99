"""Disbursements (资金拨付) on the wire: amounts in yuan as strings with two decimals."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from common.fields import Money, Name, PositiveYuan, Text
from services.programme.ledger.models import FundSource, FundUse
from services.programme.ledger.schemas import SourceAmounts
from services.programme.projects.schemas import StationCode


class DisbursementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "paid_on": "2018-03-15",
                    "amount": "30000.00",
                    "source": "central",
                    "payee": "方山县电子商务运营有限公司",
                    "voucher_number": "方财拨〔2018〕0315-07",
                    "use": "equipment",
                    "station_code": "141128100201-01",
                }
            ]
        },
    )

    paid_on: date
    amount: PositiveYuan
    source: FundSource = Field(description="which funds pay it")
    payee: Name = Field(description="收款单位")
    voucher_number: Name = Field(description="凭证号: unique within the county")
    use: FundUse | None = Field(default=None, description="what it pays for")
    station_code: StationCode | None = Field(
        default=None, description="the station of the project it pays for, if one"
    )
    note: Text | None = None


class CancellationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(examples=["凭证号录入错误,已重新登记"])


class DisbursementOut(BaseModel):
    id: int
    project: str = Field(examples=["141128-001"])
    county_code: str
    paid_on: date
    amount: Money
    source: FundSource
    payee: str = Field(
        description="in full to admins and the officials over the county; a person's name "
        "masked to everyone else (王*明), an organisation's not"
    )
    payee_masked: bool = Field(description="true: the payee is a person, shown masked")
    voucher_number: str
    use: FundUse | None
    station_code: str | None
    note: str | None
    cancelled: bool
    cancel_reason: str | None
    version: int
    recorded_at: datetime


class DisbursementResult(BaseModel):
    disbursement: DisbursementOut
    project_remaining: SourceAmounts = Field(description="the project's budget left to pay")
