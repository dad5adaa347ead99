"""Carriers (快递物流企业) and the codes aggregators know them by."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.logistics.base import Base


class CarrierKind(StrEnum):
    POSTAL = "postal"  # China Post, EMS: the universal service that reaches every township
    EXPRESS = "express"  # 快递: SF, ZTO, YTO, STO, Yunda, JD, J&T, Best …
    FREIGHT = "freight"  # 快运/零担: Deppon and other less-than-truckload carriers
    LOCAL = "local"  # county co-operative and supply-and-marketing (供销) delivery fleets


class AliasScheme(StrEnum):
    KUAIDI100 = "kuaidi100"  # 快递100 company codes: youzhengguonei, zhongtong …
    KDNIAO = "kdniao"  # 快递鸟 ShipperCode: YZPY, ZTO …


class Carrier(Base):
    """A company (or fleet) that carries parcels. ``code`` is ours and never changes: it is
    what carrier credentials name (``Principal.carrier``) and what rows point to."""

    __tablename__ = "carrier"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z0-9][a-z0-9_-]{1,39}$'", name="code_shape"),
        CheckConstraint("kind IN ('postal','express','freight','local')", name="kind"),
        # The bundled catalogue is kept between tests; carriers a test adds are not.
        {"info": {"keep": "bundled"}},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    name_zh: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    credit_code: Mapped[str | None] = mapped_column(
        String(18), comment="统一社会信用代码 (GB 32100) of the company"
    )
    service_phone: Mapped[str | None] = mapped_column(
        String(20), comment="the company's public hotline (95311 …), not a person's"
    )
    website: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    bundled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, comment="from the catalogue shipped with ruralnet"
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class CarrierAlias(Base):
    """A code an aggregator uses for a carrier. ``alias_key`` is the code lower-cased: an
    upload in any vocabulary resolves through it, so no key may name two carriers (kuaidi100
    ``ems`` and kdniao ``EMS`` are the same carrier, and may share a key)."""

    __tablename__ = "carrier_alias"
    __table_args__ = (
        CheckConstraint("scheme IN ('kuaidi100','kdniao')", name="scheme"),
        Index("ix_carrier_alias_alias_key", "alias_key"),
        {"info": {"keep": "bundled"}},
    )

    scheme: Mapped[str] = mapped_column(String(20), primary_key=True)
    alias_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    alias: Mapped[str] = mapped_column(String(40), nullable=False)
    carrier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("carrier.id"), nullable=False, index=True
    )
    bundled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
