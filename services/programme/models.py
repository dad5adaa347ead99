"""Every model of the programme service, imported so that ``Base.metadata`` is complete."""

from services.programme.base import Base
from services.programme.changes.models import ProgrammeChangeEvent, ProgrammeIdempotencyRecord

__all__ = ["Base", "ProgrammeChangeEvent", "ProgrammeIdempotencyRecord"]
