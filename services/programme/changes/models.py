from sqlalchemy import Index

from common.changefeed import ChangeEventMixin
from common.idempotency import IdempotencyRecordMixin
from services.programme.base import Base


class ProgrammeChangeEvent(ChangeEventMixin, Base):
    """Target, project, milestone and disbursement events for the gateway's reports and
    provincial feeds."""


class ProgrammeIdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers to writes sent with ``Idempotency-Key``, for 48 hours."""

    __table_args__ = (Index("ix_idempotency_record_created_at", "created_at"),)
