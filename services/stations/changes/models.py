from common.changefeed import ChangeEventMixin
from common.idempotency import IdempotencyRecordMixin
from services.stations.base import Base


class StationsChangeEvent(ChangeEventMixin, Base):
    """Station and report events for logistics, the gateway and provincial platforms."""


class StationsIdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers to writes sent with ``Idempotency-Key``, for 48 hours."""
