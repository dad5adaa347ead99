from common.changefeed import ChangeEventMixin
from common.idempotency import IdempotencyRecordMixin
from services.logistics.base import Base


class LogisticsChangeEvent(ChangeEventMixin, Base):
    """Carrier, depot, coverage and volume events for the gateway and provincial platforms."""


class LogisticsIdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers to writes sent with ``Idempotency-Key``."""
