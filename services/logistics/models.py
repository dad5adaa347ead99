"""Every model of the logistics service, imported so that ``Base.metadata`` is complete."""

from services.logistics.base import Base

__all__ = ["Base"]
