from common.changefeed import ChangeEventMixin
from common.idempotency import IdempotencyRecordMixin
from services.programme.base import Base


class ProgrammeChangeEvent(ChangeEventMixin, Base):
    """Target, project, milestone and disbursement events for the gateway's reports and
    provincial feeds."""


class ProgrammeIdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers to writes sent with ``Idempotency-Key``."""
