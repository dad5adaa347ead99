"""Trainees (学员): personal data under PIPL. The resident ID number is held only encrypted
with a blind index beside it (ADR 0030); name and phone are shown masked outside scope.
An erased trainee keeps what the indicators count (residence, categories) and nothing else.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.training.base import CODE, Base


class TraineeCategory(StrEnum):
    POOR_HOUSEHOLD = "poor_household"  # 建档立卡贫困户
    RURAL_YOUTH = "rural_youth"  # 农村青年
    RETURNING_GRADUATE = "returning_graduate"  # 返乡大学生
    VETERAN = "veteran"  # 退役军人
    VILLAGE_OFFICIAL = "village_official"  # 村干部 / 大学生村官
    FIRST_SECRETARY = "first_secretary"  # 第一书记 / 驻村工作队员
    COOPERATIVE_MEMBER = "cooperative_member"  # 合作社成员
    STATION_OPERATOR = "station_operator"  # 服务站点站长
    ONLINE_SHOP_OWNER = "online_shop_owner"  # 网店店主
    OTHER = "other"


class Trainee(Base):
    __tablename__ = "trainee"
    __table_args__ = (
        CheckConstraint("sex IS NULL OR sex IN ('male','female')", name="sex"),
        # Personal fields are all there, or (erased) all gone.
        CheckConstraint(
            "(erased_at IS NULL) = (id_number_cipher IS NOT NULL AND name IS NOT NULL)",
            name="erased_or_complete",
        ),
        Index(
            "uq_trainee_id_number_index",
            "id_number_index",
            unique=True,
            postgresql_where=text("id_number_index IS NOT NULL"),
        ),
        Index("ix_trainee_residence_code", "residence_code"),
        Index("ix_trainee_key_id", "key_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    id_number_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_mask: Mapped[str | None] = mapped_column(String(18))
    key_id: Mapped[str | None] = mapped_column(
        String(32), comment="field key of id_number_cipher and id_number_index"
    )
    name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str | None] = mapped_column(String(6))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    residence_code: Mapped[str] = mapped_column(CODE, nullable=False)
    categories: Mapped[list[str]] = mapped_column(
        ARRAY(String(24)), nullable=False, server_default="{}"
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_by: Mapped[str | None] = mapped_column(Text)
