from common.changefeed import ChangeEventMixin
from common.idempotency import IdempotencyRecordMixin
from services.training.base import Base


class TrainingChangeEvent(ChangeEventMixin, Base):
    """Session, attendance-count and outcome events; never a personal field."""


class TrainingIdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers to writes sent with ``Idempotency-Key``."""
